//! The handle table: `CredHandle` / `CtxtHandle` words ↔ Rust objects.
//!
//! `dwLower` holds the slot index (plus one, so a zeroed handle is never valid) mixed with a
//! per-process key; `dwUpper` holds the slot's generation and a kind tag. A lookup checks index,
//! generation and kind, so NULL, zeroed, forged, deleted (stale) and wrong-kind handles all give
//! `SEC_E_INVALID_HANDLE`. Slots live in fixed segments that are never freed; each slot has its
//! own lock, held only to clone or take the `Arc` — never while a package works. Nothing else in
//! the crate reads `dwLower` / `dwUpper`.
//!
//! The message path ([`with_context`]: EncryptMessage, DecryptMessage, MakeSignature,
//! VerifySignature) takes no lock and writes no shared memory: a context slot also publishes its
//! entry as a raw pointer, and a call borrows it under a per-thread *hazard pointer*. Removal
//! unpublishes the pointer, then waits until no thread's hazard names it before dropping its
//! reference. So encrypt on one thread ∥ decrypt on another on the same context, or N threads
//! on N contexts, never bounce a cache line between cores (issue #5).

use crate::ffi::types::SecHandle;
use crate::package::{Context, Credentials};
use crate::status::{Error, SecResult};
use parking_lot::{Mutex, RwLock};
use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU32, Ordering};
use std::sync::{Arc, OnceLock};

const SEGMENT_BITS: usize = 10;
const SEGMENT_SIZE: usize = 1 << SEGMENT_BITS;
const MAX_SEGMENTS: usize = 4096;
const TAG_CRED: usize = 0x5C;
const TAG_CTXT: usize = 0xC7;
const TAG_BITS: u32 = 8;

/// A live context and the credential it was made from (kept alive as on Windows).
pub struct ContextEntry {
    pub context: Box<dyn Context>,
    pub credential: Arc<dyn Credentials>,
}

#[derive(Clone)]
enum Object {
    Cred(Arc<dyn Credentials>),
    Ctxt(Arc<ContextEntry>),
}

struct Slot {
    generation: u32,
    object: Option<Object>,
}

/// One slot per 128 bytes (two cache lines: the adjacent-line prefetcher pairs them), so that
/// threads working on neighbouring handles never write to the same line when they take the slot
/// lock and the `Arc` count (issue #5: N threads on N contexts scale).
#[repr(align(128))]
struct PaddedSlot {
    lock: RwLock<Slot>,
    /// Contexts only: the entry (one strong reference, from `Arc::into_raw`), or NULL.
    fast: AtomicPtr<ContextEntry>,
    /// The generation `fast` was published under.
    fast_gen: AtomicU32,
}

struct Segment {
    slots: Box<[PaddedSlot]>,
}

struct Table {
    segments: Box<[AtomicPtr<Segment>]>,
    grow: Mutex<Allocator>,
    key: usize,
}

struct Allocator {
    free: Vec<u32>,
    next: usize,
}

fn table() -> &'static Table {
    static T: OnceLock<Table> = OnceLock::new();
    T.get_or_init(|| {
        let mut seed = [0u8; core::mem::size_of::<usize>()];
        let _ = ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut seed);
        Table {
            segments: (0..MAX_SEGMENTS)
                .map(|_| AtomicPtr::new(core::ptr::null_mut()))
                .collect(),
            grow: Mutex::new(Allocator {
                free: Vec::new(),
                next: 0,
            }),
            // High bits only, so the index stays recoverable on 32-bit targets too.
            key: usize::from_ne_bytes(seed) & !((1usize << 24) - 1),
        }
    })
}

impl Table {
    #[inline]
    fn slot(&self, index: usize) -> Option<&RwLock<Slot>> {
        self.padded(index).map(|p| &p.lock)
    }

    #[inline]
    fn padded(&self, index: usize) -> Option<&PaddedSlot> {
        let seg = self
            .segments
            .get(index >> SEGMENT_BITS)?
            .load(Ordering::Acquire);
        if seg.is_null() {
            return None;
        }
        // SAFETY: segments are leaked Boxes published with Release and never freed.
        let seg = unsafe { &*seg };
        seg.slots.get(index & (SEGMENT_SIZE - 1))
    }

    fn insert(&self, object: Object, tag: usize) -> SecResult<SecHandle> {
        let index = {
            let mut a = self.grow.lock();
            match a.free.pop() {
                Some(i) => i as usize,
                None => {
                    let i = a.next;
                    if i >= SEGMENT_SIZE * MAX_SEGMENTS {
                        return Err(Error::InsufficientMemory);
                    }
                    let s = i >> SEGMENT_BITS;
                    if self.segments[s].load(Ordering::Acquire).is_null() {
                        let seg = Box::new(Segment {
                            slots: (0..SEGMENT_SIZE)
                                .map(|_| PaddedSlot {
                                    lock: RwLock::new(Slot {
                                        generation: 1,
                                        object: None,
                                    }),
                                    fast: AtomicPtr::new(core::ptr::null_mut()),
                                    fast_gen: AtomicU32::new(0),
                                })
                                .collect(),
                        });
                        self.segments[s].store(Box::into_raw(seg), Ordering::Release);
                    }
                    a.next += 1;
                    i
                }
            }
        };
        let padded = self.padded(index).ok_or(Error::InternalError)?;
        let mut s = padded.lock.write();
        if let Object::Ctxt(c) = &object {
            padded.fast_gen.store(s.generation, Ordering::Relaxed);
            padded
                .fast
                .store(Arc::into_raw(c.clone()).cast_mut(), Ordering::Release);
        }
        s.object = Some(object);
        Ok(SecHandle {
            dwLower: (index + 1) ^ self.key,
            dwUpper: ((s.generation as usize) << TAG_BITS) | tag,
        })
    }

    #[inline]
    fn decode(&self, h: &SecHandle, tag: usize) -> Option<(usize, u32)> {
        if h.dwUpper & ((1 << TAG_BITS) - 1) != tag {
            return None;
        }
        let index = (h.dwLower ^ self.key).checked_sub(1)?;
        let generation = u32::try_from(h.dwUpper >> TAG_BITS).ok()?;
        Some((index, generation))
    }

    #[inline]
    fn get(&self, h: &SecHandle, tag: usize) -> SecResult<Object> {
        let (index, generation) = self.decode(h, tag).ok_or(Error::InvalidHandle)?;
        let slot = self.slot(index).ok_or(Error::InvalidHandle)?;
        let s = slot.read();
        match &s.object {
            Some(o) if s.generation == generation => Ok(o.clone()),
            _ => Err(Error::InvalidHandle),
        }
    }

    fn remove(&self, h: &SecHandle, tag: usize) -> SecResult<Object> {
        let (index, generation) = self.decode(h, tag).ok_or(Error::InvalidHandle)?;
        let padded = self.padded(index).ok_or(Error::InvalidHandle)?;
        let (object, fast) = {
            let mut s = padded.lock.write();
            if s.generation != generation || s.object.is_none() {
                return Err(Error::InvalidHandle);
            }
            let fast = padded.fast.swap(core::ptr::null_mut(), Ordering::SeqCst);
            // Generation 0 is never issued; wrapping skips it.
            s.generation = s.generation.wrapping_add(1).max(1) & (u32::MAX >> 1);
            padded.fast_gen.store(s.generation, Ordering::Release);
            (s.object.take().ok_or(Error::InvalidHandle)?, fast)
        };
        if !fast.is_null() {
            wait_unhazarded(fast);
            // SAFETY: `fast` came from Arc::into_raw in `insert`, was unpublished above (so no
            // new borrow can start) and no hazard names it any more (so none is running).
            drop(unsafe { Arc::from_raw(fast) });
        }
        self.grow.lock().free.push(index as u32);
        Ok(object)
    }
}

/// Stores credentials; returns the new CredHandle.
pub fn insert_credentials(c: Arc<dyn Credentials>) -> SecResult<SecHandle> {
    table().insert(Object::Cred(c), TAG_CRED)
}

/// Looks up a CredHandle.
pub fn credentials(h: &SecHandle) -> SecResult<Arc<dyn Credentials>> {
    match table().get(h, TAG_CRED)? {
        Object::Cred(c) => Ok(c),
        Object::Ctxt(_) => Err(Error::InvalidHandle),
    }
}

/// FreeCredentialsHandle: drops the table's reference (contexts keep theirs).
pub fn remove_credentials(h: &SecHandle) -> SecResult<()> {
    table().remove(h, TAG_CRED).map(drop)
}

/// Stores a context; returns the new CtxtHandle.
pub fn insert_context(c: ContextEntry) -> SecResult<SecHandle> {
    table().insert(Object::Ctxt(Arc::new(c)), TAG_CTXT)
}

/// Looks up a CtxtHandle. The returned `Arc` keeps the context alive even if another thread
/// deletes the handle meanwhile.
#[inline]
pub fn context(h: &SecHandle) -> SecResult<Arc<ContextEntry>> {
    match table().get(h, TAG_CTXT)? {
        Object::Ctxt(c) => Ok(c),
        Object::Cred(_) => Err(Error::InvalidHandle),
    }
}

/// One thread's hazard pointer: the context entry it is using in [`with_context`], or NULL.
#[repr(align(128))]
struct Hazard {
    ptr: AtomicPtr<ContextEntry>,
    /// Claimed by a live thread (records of exited threads are reused).
    owned: AtomicBool,
}

fn hazards() -> &'static Mutex<Vec<&'static Hazard>> {
    static H: OnceLock<Mutex<Vec<&'static Hazard>>> = OnceLock::new();
    H.get_or_init(|| Mutex::new(Vec::new()))
}

/// This thread's claim on a hazard record; released when the thread exits.
struct HazardClaim {
    rec: &'static Hazard,
    /// A borrow is in progress on this thread (a nested lookup falls back to an `Arc`).
    busy: Cell<bool>,
}

impl HazardClaim {
    fn new() -> Self {
        let mut all = hazards().lock();
        let rec = match all.iter().find(|h| {
            h.owned
                .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
                .is_ok()
        }) {
            Some(h) => *h,
            None => {
                let h: &'static Hazard = Box::leak(Box::new(Hazard {
                    ptr: AtomicPtr::new(core::ptr::null_mut()),
                    owned: AtomicBool::new(true),
                }));
                all.push(h);
                h
            }
        };
        HazardClaim {
            rec,
            busy: Cell::new(false),
        }
    }
}

impl Drop for HazardClaim {
    fn drop(&mut self) {
        self.rec.ptr.store(core::ptr::null_mut(), Ordering::SeqCst);
        self.rec.owned.store(false, Ordering::Release);
    }
}

thread_local! {
    static HAZARD: HazardClaim = HazardClaim::new();
}

/// Waits until no thread's hazard pointer names `p`.
fn wait_unhazarded(p: *mut ContextEntry) {
    let all: Vec<&'static Hazard> = hazards().lock().clone();
    for h in all {
        while h.ptr.load(Ordering::SeqCst) == p {
            std::thread::yield_now();
        }
    }
}

/// Clears the hazard pointer when the borrow ends (also on unwind).
struct Release<'a>(&'a HazardClaim);

impl Drop for Release<'_> {
    fn drop(&mut self) {
        self.0
            .rec
            .ptr
            .store(core::ptr::null_mut(), Ordering::Release);
        self.0.busy.set(false);
    }
}

/// Runs `f` on the context a CtxtHandle names, without a lock and without touching shared
/// memory (see the module comment). DeleteSecurityContext on another thread waits for `f` to
/// return before the context is dropped; later calls get `SEC_E_INVALID_HANDLE`.
#[inline]
pub fn with_context<R>(h: &SecHandle, f: impl FnOnce(&ContextEntry) -> R) -> SecResult<R> {
    let t = table();
    let (index, generation) = t.decode(h, TAG_CTXT).ok_or(Error::InvalidHandle)?;
    let slot = t.padded(index).ok_or(Error::InvalidHandle)?;
    let claim = HAZARD.try_with(|c| {
        if c.busy.replace(true) {
            return None;
        }
        Some(c as *const HazardClaim)
    });
    let Ok(Some(claim)) = claim else {
        // Nested on this thread, or during thread teardown: borrow through an `Arc` instead.
        let e = context(h)?;
        return Ok(f(&e));
    };
    // SAFETY: the thread-local outlives this call (try_with succeeded, and it is destroyed
    // only when this thread exits).
    let claim: &HazardClaim = unsafe { &*claim };
    let release = Release(claim);
    let p = loop {
        let p = slot.fast.load(Ordering::Acquire);
        if p.is_null() {
            return Err(Error::InvalidHandle);
        }
        claim.rec.ptr.store(p, Ordering::SeqCst);
        if slot.fast.load(Ordering::SeqCst) == p {
            break p;
        }
    };
    if slot.fast_gen.load(Ordering::Acquire) != generation {
        return Err(Error::InvalidHandle);
    }
    // SAFETY: `p` (from Arc::into_raw, holding a strong reference) was still published after
    // this thread's hazard named it, so `remove` had not yet unpublished it when the hazard
    // became visible, and it waits for the hazard to clear before dropping that reference.
    let entry = unsafe { &*p };
    let r = f(entry);
    drop(release);
    Ok(r)
}

/// DeleteSecurityContext. The context is dropped (and its secrets zeroized) when the last
/// in-flight call on it returns.
pub fn remove_context(h: &SecHandle) -> SecResult<()> {
    table().remove(h, TAG_CTXT).map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::buffers::SecBuffers;
    use crate::package::{Attribute, PackageInfo, Step, Unsealed};
    use crate::status::Outcome;

    struct Dummy;
    impl Credentials for Dummy {
        fn package(&self) -> &'static PackageInfo {
            &crate::packages::ntlm::INFO
        }
        fn usage(&self) -> u32 {
            0
        }
        fn new_client_context(self: Arc<Self>) -> SecResult<Box<dyn Context>> {
            Ok(Box::new(DummyCtx))
        }
        fn new_server_context(self: Arc<Self>) -> SecResult<Box<dyn Context>> {
            Ok(Box::new(DummyCtx))
        }
    }
    struct DummyCtx;
    impl Context for DummyCtx {
        fn package(&self) -> &'static PackageInfo {
            &crate::packages::ntlm::INFO
        }
        fn initialize(&self, _: &mut Step<'_, '_>) -> SecResult<Outcome> {
            Ok(Outcome::Ok)
        }
        fn accept(&self, _: &mut Step<'_, '_>) -> SecResult<Outcome> {
            Ok(Outcome::Ok)
        }
        fn seal(&self, _: u32, _: &mut SecBuffers<'_>, _: u32) -> SecResult<()> {
            Ok(())
        }
        fn unseal(&self, _: &mut SecBuffers<'_>, _: u32) -> SecResult<Unsealed> {
            Ok(Unsealed {
                qop: 0,
                outcome: Outcome::Ok,
            })
        }
        fn make_signature(&self, _: u32, _: &mut SecBuffers<'_>, _: u32) -> SecResult<()> {
            Ok(())
        }
        fn verify_signature(&self, _: &mut SecBuffers<'_>, _: u32) -> SecResult<u32> {
            Ok(0)
        }
        fn query_attribute(&self, _: u32) -> SecResult<Attribute> {
            Err(Error::UnsupportedFunction)
        }
    }

    #[test]
    fn lifecycle_and_invalid_handles() {
        let cred: Arc<dyn Credentials> = Arc::new(Dummy);
        let h = insert_credentials(cred.clone()).unwrap();
        assert!(credentials(&h).is_ok());
        assert_eq!(context(&h).err(), Some(Error::InvalidHandle), "wrong kind");
        let c = insert_context(ContextEntry {
            context: Box::new(DummyCtx),
            credential: cred,
        })
        .unwrap();
        assert!(context(&c).is_ok());
        assert_eq!(credentials(&c).err(), Some(Error::InvalidHandle));
        remove_credentials(&h).unwrap();
        assert_eq!(
            remove_credentials(&h).err(),
            Some(Error::InvalidHandle),
            "double free"
        );
        assert_eq!(credentials(&h).err(), Some(Error::InvalidHandle), "stale");
        assert!(
            context(&c).is_ok(),
            "context outlives its credential handle"
        );
        remove_context(&c).unwrap();
        assert_eq!(remove_context(&c).err(), Some(Error::InvalidHandle));
        assert_eq!(
            context(&SecHandle::default()).err(),
            Some(Error::InvalidHandle)
        );
        let all_ones = SecHandle {
            dwLower: usize::MAX,
            dwUpper: usize::MAX,
        };
        assert_eq!(context(&all_ones).err(), Some(Error::InvalidHandle));
    }

    #[test]
    fn with_context_borrows_and_delete_waits() {
        let cred: Arc<dyn Credentials> = Arc::new(Dummy);
        let c = insert_context(ContextEntry {
            context: Box::new(DummyCtx),
            credential: cred.clone(),
        })
        .unwrap();
        let cr = insert_credentials(cred.clone()).unwrap();
        assert_eq!(with_context(&c, |_| 7), Ok(7));
        assert_eq!(
            with_context(&cr, |_| 7),
            Err(Error::InvalidHandle),
            "wrong kind"
        );
        // Nested borrow on one thread falls back to an Arc and still works.
        assert_eq!(with_context(&c, |_| with_context(&c, |_| 8)), Ok(Ok(8)));
        // DeleteSecurityContext on another thread waits for the borrow to end.
        let t = with_context(&c, |_| {
            let t = std::thread::spawn(move || remove_context(&c));
            std::thread::sleep(std::time::Duration::from_millis(50));
            assert!(!t.is_finished(), "delete did not wait for the borrow");
            t
        })
        .unwrap();
        assert_eq!(t.join().unwrap(), Ok(()));
        assert_eq!(
            with_context(&c, |_| 7),
            Err(Error::InvalidHandle),
            "deleted"
        );
        remove_credentials(&cr).unwrap();
    }

    #[test]
    fn reused_slot_rejects_old_handle() {
        let cred: Arc<dyn Credentials> = Arc::new(Dummy);
        let a = insert_credentials(cred.clone()).unwrap();
        remove_credentials(&a).unwrap();
        let b = insert_credentials(cred).unwrap();
        assert_eq!(credentials(&a).err(), Some(Error::InvalidHandle));
        assert!(credentials(&b).is_ok());
        remove_credentials(&b).unwrap();
    }
}
