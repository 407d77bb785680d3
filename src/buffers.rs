//! Safe views of `SecBufferDesc` / `SecBuffer`. Nothing else in the crate reads a SecBufferDesc.
//!
//! A [`SecBuffers`] borrows the caller's array for one call. Buffer contents are lent one at a
//! time (`bytes`, `bytes_mut`), so two Rust borrows never alias even when the caller's buffers
//! overlap. Packages encrypt in place through `bytes_mut`.

use crate::ffi::consts::{
    SECBUFFER_ATTRMASK, SECBUFFER_READONLY, SECBUFFER_READONLY_WITH_CHECKSUM, SECBUFFER_TOKEN,
    SECBUFFER_VERSION,
};
use crate::ffi::types::{SecBuffer, SecBufferDesc};
use crate::status::{Error, SecResult};
use core::ffi::c_void;
use parking_lot::Mutex;
use std::collections::HashMap;
use std::sync::OnceLock;

/// Most buffers one SecBufferDesc may hold; more is `SEC_E_INVALID_PARAMETER`.
pub const MAX_BUFFERS: usize = 64;

/// A validated SecBufferDesc, borrowed for the duration of one call.
pub struct SecBuffers<'a> {
    bufs: &'a mut [SecBuffer],
    allocate: bool,
    /// The caller's descriptor (NULL for views built here), for `raw_desc`.
    desc: *mut SecBufferDesc,
}

impl<'a> SecBuffers<'a> {
    /// Views the caller's descriptor. `Ok(None)` for a NULL pointer.
    ///
    /// # Safety
    /// `desc` is NULL or points to a readable, writable SecBufferDesc whose `pBuffers` points to
    /// `cBuffers` SecBuffers, each of whose non-NULL `pvBuffer` is valid for `cbBuffer` bytes, all
    /// for the lifetime `'a` and not otherwise accessed during it.
    pub unsafe fn from_desc(desc: *mut SecBufferDesc) -> SecResult<Option<Self>> {
        if desc.is_null() {
            return Ok(None);
        }
        // SAFETY: non-NULL and valid per the contract above.
        let d = unsafe { &mut *desc };
        if d.ulVersion != SECBUFFER_VERSION {
            return Err(Error::InvalidToken);
        }
        let n = d.cBuffers as usize;
        if n > MAX_BUFFERS {
            return Err(Error::InvalidParameter);
        }
        if n == 0 {
            return Ok(Some(SecBuffers {
                bufs: &mut [],
                allocate: false,
                desc,
            }));
        }
        if d.pBuffers.is_null() {
            return Err(Error::InvalidToken);
        }
        if (d.pBuffers as usize) % core::mem::align_of::<SecBuffer>() != 0 {
            return Err(Error::InvalidParameter);
        }
        // SAFETY: pBuffers is non-NULL, aligned, and holds cBuffers entries per the contract.
        let bufs = unsafe { core::slice::from_raw_parts_mut(d.pBuffers, n) };
        Ok(Some(SecBuffers {
            bufs,
            allocate: false,
            desc,
        }))
    }

    /// Test-only view over a local SecBuffer array.
    #[cfg(test)]
    pub fn from_slice(bufs: &'a mut [SecBuffer]) -> Self {
        SecBuffers {
            bufs,
            allocate: false,
            desc: core::ptr::null_mut(),
        }
    }

    /// Runs `f` on a view of local buffers given as `(BufferType, bytes)` pairs (at most 8), as a
    /// caller's SecBufferDesc would describe them. Safe: the view points into `parts`, which
    /// stay borrowed for the whole call, and no borrow of a buffer outlives `f`. For tests and
    /// benchmarks.
    pub fn with_parts<R>(
        parts: &mut [(u32, &mut [u8])],
        f: impl FnOnce(&mut SecBuffers<'_>) -> R,
    ) -> SecResult<R> {
        const N: usize = 8;
        let mut bufs = [SecBuffer {
            cbBuffer: 0,
            BufferType: 0,
            pvBuffer: core::ptr::null_mut(),
        }; N];
        if parts.len() > N {
            return Err(Error::InvalidParameter);
        }
        for (b, (kind, data)) in bufs.iter_mut().zip(parts.iter_mut()) {
            b.cbBuffer = u32::try_from(data.len()).map_err(|_| Error::InvalidParameter)?;
            b.BufferType = *kind;
            b.pvBuffer = data.as_mut_ptr().cast();
        }
        let mut view = SecBuffers {
            bufs: &mut bufs[..parts.len()],
            allocate: false,
            desc: core::ptr::null_mut(),
        };
        Ok(f(&mut view))
    }

    /// Like [`SecBuffers::with_parts`] with two descriptors of the same lifetime (an input and
    /// an output, as one InitializeSecurityContext call sees them). A package that drives
    /// another package's context (Negotiate) uses it for the inner step.
    pub fn with_two_parts<R>(
        first: &mut [(u32, &mut [u8])],
        second: &mut [(u32, &mut [u8])],
        f: impl for<'v> FnOnce(&mut SecBuffers<'v>, &mut SecBuffers<'v>) -> R,
    ) -> SecResult<R> {
        const N: usize = 8;
        fn fill(bufs: &mut [SecBuffer; N], parts: &mut [(u32, &mut [u8])]) -> SecResult<usize> {
            if parts.len() > N {
                return Err(Error::InvalidParameter);
            }
            for (b, (kind, data)) in bufs.iter_mut().zip(parts.iter_mut()) {
                b.cbBuffer = u32::try_from(data.len()).map_err(|_| Error::InvalidParameter)?;
                b.BufferType = *kind;
                b.pvBuffer = data.as_mut_ptr().cast();
            }
            Ok(parts.len())
        }
        let empty = SecBuffer {
            cbBuffer: 0,
            BufferType: 0,
            pvBuffer: core::ptr::null_mut(),
        };
        let mut a = [empty; N];
        let mut b = [empty; N];
        let na = fill(&mut a, first)?;
        let nb = fill(&mut b, second)?;
        let mut va = SecBuffers {
            bufs: &mut a[..na],
            allocate: false,
            desc: core::ptr::null_mut(),
        };
        let mut vb = SecBuffers {
            bufs: &mut b[..nb],
            allocate: false,
            desc: core::ptr::null_mut(),
        };
        Ok(f(&mut va, &mut vb))
    }

    /// The caller's own SecBufferDesc, for the plug-in loader (`crate::sspap`) to hand to an
    /// SSP/AP's SpSealMessage & co. unchanged. NULL for a view not made by `from_desc`. Valid
    /// while `self` is borrowed mutably; packages never need it.
    pub fn raw_desc(&mut self) -> *mut SecBufferDesc {
        self.desc
    }

    /// Output tokens are allocated by the library (ISC_REQ_ALLOCATE_MEMORY / ASC_REQ_ALLOCATE_MEMORY).
    pub fn set_allocate(&mut self, allocate: bool) {
        self.allocate = allocate;
    }

    /// Whether output tokens are allocated by the library.
    pub fn allocate(&self) -> bool {
        self.allocate
    }

    /// Number of buffers.
    pub fn len(&self) -> usize {
        self.bufs.len()
    }

    /// True when the descriptor holds no buffer.
    pub fn is_empty(&self) -> bool {
        self.bufs.is_empty()
    }

    /// Buffer type without the attribute bits (SECBUFFER_DATA, SECBUFFER_TOKEN…).
    pub fn kind(&self, i: usize) -> u32 {
        self.bufs
            .get(i)
            .map_or(0, |b| b.BufferType & !SECBUFFER_ATTRMASK)
    }

    /// Attribute bits of the buffer type (SECBUFFER_READONLY…).
    pub fn attrs(&self, i: usize) -> u32 {
        self.bufs
            .get(i)
            .map_or(0, |b| b.BufferType & SECBUFFER_ATTRMASK)
    }

    /// SECBUFFER_READONLY or SECBUFFER_READONLY_WITH_CHECKSUM is set.
    pub fn is_readonly(&self, i: usize) -> bool {
        self.attrs(i) & (SECBUFFER_READONLY | SECBUFFER_READONLY_WITH_CHECKSUM) != 0
    }

    /// Size the caller declared (cbBuffer).
    pub fn size(&self, i: usize) -> usize {
        self.bufs.get(i).map_or(0, |b| b.cbBuffer as usize)
    }

    /// Index of the first buffer of this type.
    pub fn find(&self, kind: u32) -> Option<usize> {
        (0..self.bufs.len()).find(|&i| self.kind(i) == kind)
    }

    /// Number of buffers of this type.
    pub fn count(&self, kind: u32) -> usize {
        (0..self.bufs.len())
            .filter(|&i| self.kind(i) == kind)
            .count()
    }

    /// The index of the `nth` buffer of this type.
    pub fn nth(&self, kind: u32, nth: usize) -> Option<usize> {
        (0..self.bufs.len())
            .filter(|&i| self.kind(i) == kind)
            .nth(nth)
    }

    fn raw(&self, i: usize) -> SecResult<(*mut u8, usize)> {
        let b = self.bufs.get(i).ok_or(Error::InvalidToken)?;
        let len = b.cbBuffer as usize;
        if len == 0 {
            return Ok((core::ptr::NonNull::<u8>::dangling().as_ptr(), 0));
        }
        if b.pvBuffer.is_null() {
            return Err(Error::InvalidParameter);
        }
        Ok((b.pvBuffer as *mut u8, len))
    }

    /// Contents of buffer `i`. NULL `pvBuffer` with a size → `SEC_E_INVALID_PARAMETER`.
    pub fn bytes(&self, i: usize) -> SecResult<&[u8]> {
        let (p, n) = self.raw(i)?;
        // SAFETY: per the `from_desc` contract pvBuffer is valid for cbBuffer bytes for 'a,
        // and `&self` prevents a mutable borrow of any buffer while this one lives.
        Ok(unsafe { core::slice::from_raw_parts(p, n) })
    }

    /// Contents of buffer `i`, writable in place.
    pub fn bytes_mut(&mut self, i: usize) -> SecResult<&mut [u8]> {
        let (p, n) = self.raw(i)?;
        // SAFETY: as in `bytes`; `&mut self` makes this the only live borrow of any buffer.
        Ok(unsafe { core::slice::from_raw_parts_mut(p, n) })
    }

    /// Sets `cbBuffer` (only shrinking: a buffer never grows past what the caller gave).
    pub fn set_size(&mut self, i: usize, n: usize) -> SecResult<()> {
        let b = self.bufs.get_mut(i).ok_or(Error::InvalidToken)?;
        if n > b.cbBuffer as usize {
            return Err(Error::BufferTooSmall);
        }
        b.cbBuffer = n as u32;
        Ok(())
    }

    /// Sets the buffer type (attribute bits included).
    pub fn set_type(&mut self, i: usize, buffer_type: u32) {
        if let Some(b) = self.bufs.get_mut(i) {
            b.BufferType = buffer_type;
        }
    }

    /// Marks buffer `i` SECBUFFER_MISSING with `cbBuffer = n`, keeping its pvBuffer (Schannel's
    /// DecryptMessage on a short record: the caller's data buffer itself carries the count).
    pub fn set_missing(&mut self, i: usize, n: usize) {
        if let Some(b) = self.bufs.get_mut(i) {
            b.BufferType = crate::ffi::consts::SECBUFFER_MISSING;
            b.cbBuffer = n.min(u32::MAX as usize) as u32;
        }
    }

    /// Rewrites buffer `i` as `buffer_type` with no memory and `cbBuffer = n`
    /// (SECBUFFER_MISSING counts, SECBUFFER_EMPTY).
    pub fn set_counter(&mut self, i: usize, buffer_type: u32, n: usize) {
        if let Some(b) = self.bufs.get_mut(i) {
            b.BufferType = buffer_type;
            b.cbBuffer = n.min(u32::MAX as usize) as u32;
            b.pvBuffer = core::ptr::null_mut();
        }
    }

    /// Points buffer `i` at `len` bytes starting `offset` bytes into buffer `src`, with type
    /// `buffer_type` (DecryptMessage's STREAM → DATA form, Schannel's EXTRA).
    pub fn point_into(
        &mut self,
        i: usize,
        buffer_type: u32,
        src: usize,
        offset: usize,
        len: usize,
    ) -> SecResult<()> {
        let (p, n) = self.raw(src)?;
        let end = offset.checked_add(len).ok_or(Error::InvalidParameter)?;
        if end > n || i >= self.bufs.len() {
            return Err(Error::InvalidParameter);
        }
        let b = &mut self.bufs[i];
        b.BufferType = buffer_type;
        b.cbBuffer = len as u32;
        // SAFETY: offset <= n, inside (or one past) the caller's buffer `src`.
        b.pvBuffer = unsafe { p.add(offset) } as *mut c_void;
        Ok(())
    }

    /// When buffer `j` starts right where buffer `i` ends and holds at least `extra` bytes,
    /// one writable slice over all of `i` and the first `extra` bytes of `j` (Schannel's
    /// TLS 1.3 seal: DATA followed by the inner content type in STREAM_TRAILER).
    pub fn adjacent_mut(&mut self, i: usize, j: usize, extra: usize) -> Option<&mut [u8]> {
        if i == j {
            return None;
        }
        let (pi, ni) = self.raw(i).ok()?;
        let (pj, nj) = self.raw(j).ok()?;
        if nj < extra || ni == 0 || (pi as usize).checked_add(ni)? != pj as usize {
            return None;
        }
        // SAFETY: buffers i and j are each valid for their cbBuffer bytes (from_desc contract)
        // and j begins exactly where i ends, so [pi, pi + ni + extra) lies inside the two
        // caller buffers; `&mut self` makes this the only live borrow of any buffer.
        Some(unsafe { core::slice::from_raw_parts_mut(pi, ni + extra) })
    }

    /// Writes an output token into buffer `i`: into the caller's memory (too small →
    /// `SEC_E_BUFFER_TOO_SMALL`), or, with allocate set, into new memory the caller frees with
    /// FreeContextBuffer. `cbBuffer` becomes the token's length.
    pub fn write_token_at(&mut self, i: usize, data: &[u8]) -> SecResult<()> {
        if i >= self.bufs.len() {
            return Err(Error::InvalidToken);
        }
        if self.allocate {
            let p = alloc_context_buffer(data.len()).ok_or(Error::InsufficientMemory)?;
            // SAFETY: p is a fresh allocation of at least data.len() bytes.
            unsafe { core::ptr::copy_nonoverlapping(data.as_ptr(), p, data.len()) };
            let b = &mut self.bufs[i];
            b.pvBuffer = p as *mut c_void;
            b.cbBuffer = data.len() as u32;
            return Ok(());
        }
        let dst = self.bytes_mut(i)?;
        if dst.len() < data.len() {
            return Err(Error::BufferTooSmall);
        }
        dst[..data.len()].copy_from_slice(data);
        self.bufs[i].cbBuffer = data.len() as u32;
        Ok(())
    }

    /// Writes an output token into the first SECBUFFER_TOKEN buffer (none → `SEC_E_INVALID_TOKEN`).
    pub fn write_token(&mut self, data: &[u8]) -> SecResult<()> {
        let i = self.find(SECBUFFER_TOKEN).ok_or(Error::InvalidToken)?;
        self.write_token_at(i, data)
    }

    /// Whether buffer `i` can take `n` bytes (always true when the library allocates).
    pub fn can_hold(&self, i: usize, n: usize) -> bool {
        self.allocate || self.size(i) >= n
    }
}

/// Live allocations handed to the caller: address → size.
fn live_allocations() -> &'static Mutex<HashMap<usize, usize>> {
    static LIVE: OnceLock<Mutex<HashMap<usize, usize>>> = OnceLock::new();
    LIVE.get_or_init(|| Mutex::new(HashMap::new()))
}

/// Allocates memory that the caller releases with FreeContextBuffer. At least one byte is
/// allocated so that an empty result is still a distinct pointer. On Windows the memory comes
/// from the process heap, as Windows' secur32 hands it out (HeapFree/LocalFree work too).
pub fn alloc_context_buffer(len: usize) -> Option<*mut u8> {
    #[cfg(not(windows))]
    // SAFETY: malloc with a non-zero size; NULL is handled.
    let p = unsafe { libc::malloc(len.max(1)) } as *mut u8;
    #[cfg(windows)]
    let p = crate::ffi::win32::heap_alloc(len).unwrap_or(core::ptr::null_mut());
    if p.is_null() {
        return None;
    }
    live_allocations().lock().insert(p as usize, len.max(1));
    Some(p)
}

/// Allocates a context buffer holding `data`.
pub fn alloc_copy(data: &[u8]) -> Option<*mut u8> {
    let p = alloc_context_buffer(data.len())?;
    // SAFETY: p holds at least data.len() bytes and cannot overlap `data`.
    unsafe { core::ptr::copy_nonoverlapping(data.as_ptr(), p, data.len()) };
    Some(p)
}

/// Frees memory from [`alloc_context_buffer`]. False when `p` is not a live allocation of ours
/// (then nothing is touched), so any pointer value is safe to pass. The memory is zeroized
/// before it is freed (session keys and names are handed out this way).
#[allow(clippy::not_unsafe_ptr_arg_deref)]
pub fn free_context_buffer(p: *mut c_void) -> bool {
    let Some(len) = live_allocations().lock().remove(&(p as usize)) else {
        return false;
    };
    // SAFETY: p came from alloc_context_buffer (len bytes) and was live until now.
    unsafe { zeroize::Zeroize::zeroize(core::slice::from_raw_parts_mut(p as *mut u8, len)) };
    #[cfg(not(windows))]
    // SAFETY: as above: libc::malloc's block.
    unsafe {
        libc::free(p)
    };
    #[cfg(windows)]
    // SAFETY: as above: the process heap's block.
    unsafe {
        crate::ffi::win32::heap_free(p)
    };
    true
}
