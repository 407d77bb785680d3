//! The established Schannel context: EncryptMessage / DecryptMessage in place through the record
//! layer, ApplyControlToken, and the Context-trait entry points.

use super::*;

/// Buffers of a DecryptMessage call: the DATA buffer and three EMPTY ones.
fn decrypt_shape(msg: &SecBuffers<'_>) -> SecResult<(usize, [usize; 3])> {
    let d = msg.find(SECBUFFER_DATA).ok_or(Error::InvalidToken)?;
    let mut e = [0usize; 3];
    let mut k = 0;
    for i in 0..msg.len() {
        if i != d && msg.kind(i) == SECBUFFER_EMPTY && k < 3 {
            e[k] = i;
            k += 1;
        }
    }
    if k < 3 {
        return Err(Error::InvalidToken);
    }
    Ok((d, e))
}

impl Context for SchannelContext {
    fn package(&self) -> &'static PackageInfo {
        self.cred.info
    }

    fn initialize(&self, step: &mut Step<'_, '_>) -> SecResult<Outcome> {
        if self.server {
            return Err(Error::InvalidHandle);
        }
        self.step(step)
    }

    fn accept(&self, step: &mut Step<'_, '_>) -> SecResult<Outcome> {
        if !self.server {
            return Err(Error::InvalidHandle);
        }
        self.step(step)
    }

    /// Windows' checks (Wine dlls/secur32/schannel.c schan_ApplyControlToken, whose tests run
    /// on Windows): exactly one buffer, a SECBUFFER_TOKEN (else SEC_E_INVALID_TOKEN), at least
    /// one DWORD (else SEC_E_UNSUPPORTED_FUNCTION). A NULL descriptor is the export's
    /// SEC_E_INTERNAL_ERROR.
    fn apply_control_token(&self, input: &mut SecBuffers<'_>) -> SecResult<()> {
        if input.len() != 1 || input.kind(0) != SECBUFFER_TOKEN {
            return Err(Error::InvalidToken);
        }
        let b = input.bytes(0)?;
        if b.len() < 4 {
            return Err(Error::UnsupportedFunction);
        }
        let word = |k: usize| -> Option<u32> {
            b.get(k..k + 4)
                .map(|w| u32::from_ne_bytes([w[0], w[1], w[2], w[3]]))
        };
        let mut hs = self.hs.lock();
        match word(0) {
            Some(SCHANNEL_SHUTDOWN) => {
                hs.alert = Some([TLS1_ALERT_WARNING as u8, TLS1_ALERT_CLOSE_NOTIFY as u8]);
                Ok(())
            }
            Some(SCHANNEL_ALERT) => {
                let (Some(t), Some(n)) = (word(4), word(8)) else {
                    return Err(Error::InvalidToken);
                };
                if !(TLS1_ALERT_WARNING..=TLS1_ALERT_FATAL).contains(&t) || n > 255 {
                    return Err(Error::InvalidToken);
                }
                hs.alert = Some([t as u8, n as u8]);
                Ok(())
            }
            Some(SCHANNEL_SESSION) => Ok(()),
            Some(SCHANNEL_RENEGOTIATE) => Err(Error::UnsupportedFunction),
            _ => Err(Error::InvalidToken),
        }
    }

    fn seal(&self, qop: u32, msg: &mut SecBuffers<'_>, _seq_no: u32) -> SecResult<()> {
        let h = msg
            .find(SECBUFFER_STREAM_HEADER)
            .ok_or(Error::InvalidToken)?;
        let d = msg.find(SECBUFFER_DATA).ok_or(Error::InvalidToken)?;
        let t = msg
            .find(SECBUFFER_STREAM_TRAILER)
            .ok_or(Error::InvalidToken)?;
        let info = self.info.get().ok_or(Error::InvalidHandle)?;
        let content_type = if qop & SECQOP_WRAP_OOB_DATA != 0 {
            record::CT_ALERT
        } else {
            record::CT_APPLICATION_DATA
        };
        let dlen = msg.size(d);
        // More than cbMaximumMessage: SEC_E_ENCRYPT_FAILURE, nothing changed (public
        // measurements of Windows' Schannel).
        if dlen > record::MAX_PLAINTEXT {
            return Err(Error::EncryptFailure);
        }
        if msg.size(h) < info.header || msg.size(t) < info.trailer {
            return Err(Error::BufferTooSmall);
        }
        let mut tx = self.tx.lock();
        let Tx {
            keys,
            scratch,
            closed,
        } = &mut *tx;
        if *closed {
            return Err(Error::ContextExpired);
        }
        let keys = keys.as_mut().ok_or(Error::ContextExpired)?;
        let mut tag = [0u8; record::TAG];
        match info.version {
            Version::Tls12 => {
                let parts = record::seal12(keys, content_type, msg.bytes_mut(d)?, &mut tag)?;
                msg.bytes_mut(h)?[..parts.header_len]
                    .copy_from_slice(&parts.header[..parts.header_len]);
                msg.set_size(h, parts.header_len)?;
                msg.bytes_mut(t)?[..record::TAG].copy_from_slice(&tag);
                msg.set_size(t, record::TAG)?;
            }
            Version::Tls13 => {
                let header = if let Some(inner) = msg.adjacent_mut(d, t, 1) {
                    record::seal13(keys, content_type, inner, &mut tag)?
                } else {
                    if scratch.capacity() < record::MAX_PLAINTEXT + 1 {
                        scratch.reserve_exact(record::MAX_PLAINTEXT + 1 - scratch.len());
                    }
                    scratch.clear();
                    scratch.extend_from_slice(msg.bytes(d)?);
                    scratch.push(0);
                    let hdr = record::seal13(keys, content_type, scratch, &mut tag)?;
                    msg.bytes_mut(d)?.copy_from_slice(&scratch[..dlen]);
                    msg.bytes_mut(t)?[0] = scratch[dlen];
                    hdr
                };
                msg.bytes_mut(h)?[..record::HEADER].copy_from_slice(&header);
                msg.set_size(h, record::HEADER)?;
                msg.bytes_mut(t)?[1..1 + record::TAG].copy_from_slice(&tag);
                msg.set_size(t, 1 + record::TAG)?;
            }
        }
        Ok(())
    }

    fn unseal(&self, msg: &mut SecBuffers<'_>, _seq_no: u32) -> SecResult<Unsealed> {
        let (d, e) = decrypt_shape(msg)?;
        let info = self.info.get().ok_or(Error::InvalidHandle)?;
        let mut rx = self.rx.lock();
        if rx.closed {
            return Err(Error::ContextExpired);
        }
        let total = msg.size(d);
        let n = match record::record_len(msg.bytes(d)?) {
            Ok(n) => n,
            Err(missing) => {
                // Windows puts the count in the DATA buffer itself, pvBuffer kept (Wine
                // dlls/secur32/tests/schannel.c test_communication, run on Windows).
                msg.set_missing(d, missing);
                return Err(Error::IncompleteMessage);
            }
        };
        let keys = rx.keys.as_mut().ok_or(Error::ContextExpired)?;
        let opened = {
            let buf = msg.bytes_mut(d)?;
            let o = record::open(keys, info.version, &mut buf[..n])?;
            // Post-handshake content is read here, before the buffers are rewritten.
            let body = &buf[o.start..o.start + o.len];
            let mut outcome = Outcome::Ok;
            let mut data_len = o.len;
            match o.content_type {
                record::CT_APPLICATION_DATA => {}
                record::CT_ALERT => {
                    data_len = 0;
                    match body {
                        [_, 0, ..] => {
                            rx.closed = true;
                            outcome = Outcome::ContextExpired;
                        }
                        [2, ..] => return Err(Error::IllegalMessage),
                        _ => {}
                    }
                }
                record::CT_HANDSHAKE => {
                    data_len = 0;
                    if info.version == Version::Tls13 {
                        let mut m = body;
                        let mut update = None;
                        while m.len() >= 4 {
                            let len = u32::from_be_bytes([0, m[1], m[2], m[3]]) as usize;
                            if m.len() < 4 + len {
                                break;
                            }
                            if m[0] == 24 && len == 1 {
                                update = Some(m[4]);
                            }
                            if m[0] == 4 {
                                if let Some(k) = self.kernel.lock().as_mut() {
                                    k.new_session_ticket(&m[4..4 + len]);
                                }
                            }
                            m = &m[4 + len..];
                        }
                        if let Some(req) = update {
                            let mut k = self.kernel.lock();
                            let (seq, sec) = k
                                .as_mut()
                                .ok_or(Error::InternalError)?
                                .update_rx()
                                .map_err(|_| Error::InternalError)?;
                            rx.keys = Some(Keys::new(info.version, seq, sec)?);
                            if req == 1 {
                                self.key_update_due.store(true, Ordering::Release);
                            }
                        }
                        outcome = Outcome::Renegotiate;
                    } else if !self.server && body.len() >= 4 && body[0] == 0 {
                        // TLS 1.2 HelloRequest: SEC_I_RENEGOTIATE, as Windows returns; the
                        // caller's next ISC declines with a no_renegotiation warning alert
                        // (renegotiation is not implemented) and the connection stays usable.
                        self.decline_renegotiation.store(true, Ordering::Release);
                        outcome = Outcome::Renegotiate;
                    }
                }
                record::CT_CHANGE_CIPHER_SPEC => data_len = 0,
                _ => return Err(Error::IllegalMessage),
            }
            (o.start, data_len, outcome)
        };
        let (start, len, outcome) = opened;
        // EXTRA, TRAILER and DATA point into the DATA buffer, which becomes the HEADER last.
        if total > n {
            msg.point_into(e[2], SECBUFFER_EXTRA, d, n, total - n)?;
        } else {
            msg.set_counter(e[2], SECBUFFER_EMPTY, 0);
        }
        msg.point_into(
            e[1],
            SECBUFFER_STREAM_TRAILER,
            d,
            start + len,
            n - start - len,
        )?;
        msg.point_into(e[0], SECBUFFER_DATA, d, start, len)?;
        msg.point_into(d, SECBUFFER_STREAM_HEADER, d, 0, start)?;
        Ok(Unsealed { qop: 0, outcome })
    }

    fn make_signature(&self, _qop: u32, _m: &mut SecBuffers<'_>, _s: u32) -> SecResult<()> {
        Err(Error::UnsupportedFunction)
    }

    fn verify_signature(&self, _m: &mut SecBuffers<'_>, _s: u32) -> SecResult<u32> {
        Err(Error::UnsupportedFunction)
    }

    fn query_attribute(&self, attr: u32) -> SecResult<Attribute> {
        self.attribute(attr)
    }
}
