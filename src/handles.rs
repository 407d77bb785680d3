//! The handle table: `CredHandle` / `CtxtHandle` words ↔ Rust objects.
//!
//! `dwLower` holds the slot index (plus one, so a zeroed handle is never valid) mixed with a
//! per-process key; `dwUpper` holds the slot's generation and a kind tag. A lookup checks index,
//! generation and kind, so NULL, zeroed, forged, deleted (stale) and wrong-kind handles all give
//! `SEC_E_INVALID_HANDLE`. Slots live in fixed segments that are never freed; each slot has its
//! own lock, held only to clone or take the `Arc` — never while a package works. Nothing else in
//! the crate reads `dwLower` / `dwUpper`.

use crate::ffi::types::SecHandle;
use crate::package::{Context, Credentials};
use crate::status::{Error, SecResult};
use parking_lot::{Mutex, RwLock};
use std::sync::atomic::{AtomicPtr, Ordering};
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
struct PaddedSlot(RwLock<Slot>);

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
        let seg = self
            .segments
            .get(index >> SEGMENT_BITS)?
            .load(Ordering::Acquire);
        if seg.is_null() {
            return None;
        }
        // SAFETY: segments are leaked Boxes published with Release and never freed.
        let seg = unsafe { &*seg };
        seg.slots.get(index & (SEGMENT_SIZE - 1)).map(|p| &p.0)
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
                                .map(|_| {
                                    PaddedSlot(RwLock::new(Slot {
                                        generation: 1,
                                        object: None,
                                    }))
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
        let slot = self.slot(index).ok_or(Error::InternalError)?;
        let mut s = slot.write();
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
        let slot = self.slot(index).ok_or(Error::InvalidHandle)?;
        let object = {
            let mut s = slot.write();
            if s.generation != generation || s.object.is_none() {
                return Err(Error::InvalidHandle);
            }
            // Generation 0 is never issued; wrapping skips it.
            s.generation = s.generation.wrapping_add(1).max(1) & (u32::MAX >> 1);
            s.object.take().ok_or(Error::InvalidHandle)?
        };
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
