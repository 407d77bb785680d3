//! The TLS handshake behind InitializeSecurityContext / AcceptSecurityContext: rustls driven one
//! record at a time, output and SECBUFFER_EXTRA written as Windows does, keys handed to the record layer.

use super::*;

/// ALPN ids from a SECBUFFER_APPLICATION_PROTOCOLS buffer (SEC_APPLICATION_PROTOCOLS).
pub(super) fn parse_alpn(b: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    if b.len() < 4 {
        return out;
    }
    let total = (u32::from_ne_bytes([b[0], b[1], b[2], b[3]]) as usize).min(b.len() - 4);
    let mut lists = &b[4..4 + total];
    while lists.len() >= 6 {
        let ext = u32::from_ne_bytes([lists[0], lists[1], lists[2], lists[3]]);
        let n = (u16::from_ne_bytes([lists[4], lists[5]]) as usize).min(lists.len() - 6);
        let mut l = &lists[6..6 + n];
        if ext == SecApplicationProtocolNegotiationExt_ALPN {
            while let Some((&len, rest)) = l.split_first() {
                let len = len as usize;
                if len == 0 || rest.len() < len {
                    break;
                }
                out.push(rest[..len].to_vec());
                l = &rest[len..];
            }
        }
        lists = &lists[6 + n..];
    }
    out
}

enum Drive {
    Blocked,
    Done,
}

/// Runs rustls over `buf` until it needs another record or the handshake is complete,
/// appending what it sends to `out`.
fn drive(conn: &mut Conn, buf: &mut Vec<u8>, out: &mut Vec<u8>) -> SecResult<Drive> {
    loop {
        let (discard, r) = match conn {
            Conn::Client(c) => {
                let st = c.process_tls_records(buf);
                (st.discard, handle_state(st.state, out))
            }
            Conn::Server(c) => {
                let st = c.process_tls_records(buf);
                (st.discard, handle_state(st.state, out))
            }
        };
        buf.drain(..discard.min(buf.len()));
        if let Some(r) = r? {
            return Ok(r);
        }
    }
}

/// After a handshake error: the fatal alert rustls queued, if any. `buf` is what rustls
/// has not discarded. rustls hands queued output out before it reads input again, so the
/// first call yields the alert; a further call would re-read the bad input (a second fatal
/// alert, which rustls asserts against).
fn pending_alert(conn: &mut Conn, buf: &mut [u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let r = match conn {
        Conn::Client(c) => handle_state(c.process_tls_records(buf).state, &mut out),
        Conn::Server(c) => handle_state(c.process_tls_records(buf).state, &mut out),
    };
    if r.is_err() {
        out.clear();
    }
    out
}

/// Hands a fatal alert to the caller: in a SECBUFFER_ALERT output buffer, else in the
/// output token when ISC_REQ_EXTENDED_ERROR / ASC_REQ_EXTENDED_ERROR was asked for.
fn write_alert(step: &mut Step<'_, '_>, alert: &[u8], extended: bool) {
    if alert.is_empty() {
        return;
    }
    let Some(o) = step.output.as_deref_mut() else {
        return;
    };
    if let Some(i) = o.find(SECBUFFER_ALERT) {
        let _ = o.write_token_at(i, alert);
    } else if extended {
        let _ = o.write_token(alert);
    }
}

fn handle_state<D>(
    state: Result<ConnectionState<'_, '_, D>, rustls::Error>,
    out: &mut Vec<u8>,
) -> SecResult<Option<Drive>> {
    let state = state.map_err(|e| {
        crate::log!(crate::log::Level::Debug, "schannel: handshake: {e}");
        map_error(&e)
    })?;
    match state {
        ConnectionState::EncodeTlsData(mut e) => {
            let start = out.len();
            out.resize(start + 4096, 0);
            loop {
                match e.encode(&mut out[start..]) {
                    Ok(n) => {
                        out.truncate(start + n);
                        break;
                    }
                    Err(EncodeError::InsufficientSize(s)) => {
                        out.resize(start + s.required_size, 0);
                    }
                    Err(_) => return Err(Error::InternalError),
                }
            }
            Ok(None)
        }
        ConnectionState::TransmitTlsData(t) => {
            // The caller sends the output token.
            t.done();
            Ok(None)
        }
        ConnectionState::BlockedHandshake => Ok(Some(Drive::Blocked)),
        ConnectionState::WriteTraffic(_) | ConnectionState::ReadTraffic(_) => Ok(Some(Drive::Done)),
        ConnectionState::PeerClosed | ConnectionState::Closed => Err(Error::IllegalMessage),
        _ => Err(Error::InternalError),
    }
}

/// Keeps output that could not be handed over, for the next call, which skips the input
/// already consumed when the caller passes it again.
fn hold_output(hs: &mut Handshake, out: Vec<u8>, consumed: &[u8]) {
    hs.pending_out = out;
    hs.refeed = Some(consumed.to_vec());
}

/// Writes the output token (an empty one: cbBuffer 0, pvBuffer NULL).
fn write_output(step: &mut Step<'_, '_>, out: &[u8]) -> SecResult<()> {
    let Some(o) = step.output.as_deref_mut() else {
        return if out.is_empty() {
            Ok(())
        } else {
            Err(Error::InvalidToken)
        };
    };
    let Some(i) = o.find(SECBUFFER_TOKEN) else {
        return if out.is_empty() {
            Ok(())
        } else {
            Err(Error::InvalidToken)
        };
    };
    if out.is_empty() {
        if o.allocate() {
            o.set_counter(i, SECBUFFER_TOKEN, 0);
        } else {
            o.set_size(i, 0)?;
        }
        return Ok(());
    }
    // The caller's token buffer cannot take the output (too small, or no memory and no
    // ALLOCATE_MEMORY): SEC_E_INSUFFICIENT_MEMORY with cbBuffer 0, as Windows' Schannel (Wine
    // dlls/secur32/tests/schannel.c test_communication, run on Windows). The output is kept
    // for a call with room.
    match o.write_token_at(i, out) {
        Err(Error::BufferTooSmall | Error::InvalidParameter) => {
            let _ = o.set_size(i, 0);
            Err(Error::InsufficientMemory)
        }
        r => r,
    }
}

/// Reports `n` unprocessed bytes at the end of the input token as SECBUFFER_EXTRA (in the
/// input's second buffer, as Windows).
fn set_extra(input: &mut SecBuffers<'_>, token: usize, used: usize, total: usize) -> SecResult<()> {
    let slot = (0..input.len()).find(|&i| i != token && input.kind(i) == SECBUFFER_EMPTY);
    if let Some(e) = slot {
        if used < total {
            input.point_into(e, SECBUFFER_EXTRA, token, used, total - used)?;
        }
    }
    Ok(())
}

impl SchannelContext {
    pub(super) fn new(cred: Arc<SchannelCredentials>, server: bool) -> Self {
        SchannelContext {
            cred,
            server,
            hs: Mutex::new(Handshake::default()),
            tx: Mutex::new(Tx {
                keys: None,
                scratch: Vec::new(),
                closed: false,
            }),
            rx: Mutex::new(Rx {
                keys: None,
                closed: false,
            }),
            kernel: Mutex::new(None),
            info: OnceLock::new(),
            key_update_due: AtomicBool::new(false),
            decline_renegotiation: AtomicBool::new(false),
        }
    }

    fn new_conn(&self, target: Option<&str>, req: u32, alpn: Vec<Vec<u8>>) -> SecResult<Conn> {
        let p = provider();
        if self.server {
            let key = self.cred.key.clone().ok_or(Error::NoCredentials)?;
            let b = ServerConfig::builder_with_provider(p.clone())
                .with_protocol_versions(&self.cred.versions)
                .map_err(|_| Error::AlgorithmMismatch)?;
            let b = if req & ASC_REQ_MUTUAL_AUTH != 0 {
                b.with_client_cert_verifier(Arc::new(AnyClientCert { provider: p }))
            } else {
                b.with_no_client_auth()
            };
            let mut cfg = b.with_cert_resolver(Arc::new(ServerCert(key)));
            cfg.enable_secret_extraction = true;
            // No TLS 1.3 tickets: TLS 1.2 session ids resume (Windows' "reconnects").
            cfg.send_tls13_tickets = 0;
            if self.cred.flags & SCH_CRED_DISABLE_RECONNECTS == 0 {
                cfg.session_storage = self.cred.server_sessions.clone();
            } else {
                cfg.session_storage = Arc::new(rustls::server::NoServerSessionStorage {});
            }
            cfg.alpn_protocols = alpn;
            let c = UnbufferedServerConnection::new(Arc::new(cfg)).map_err(|e| map_error(&e))?;
            return Ok(Conn::Server(c));
        }
        let manual = self.cred.flags & SCH_CRED_MANUAL_CRED_VALIDATION != 0
            || req & ISC_REQ_MANUAL_CRED_VALIDATION != 0;
        let target = target.map(str::trim).filter(|t| !t.is_empty());
        // No target name: no name check (as Windows). A target that is no host name or
        // address can match no certificate.
        let name = match target {
            None => None,
            Some(t) => Some(
                ServerName::try_from(t.to_string())
                    .or_else(|_| ServerName::try_from("invalid.invalid"))
                    .map_err(|_| Error::InternalError)?,
            ),
        };
        let check_name = name.is_some() && self.cred.flags & SCH_CRED_NO_SERVERNAME_CHECK == 0;
        let verifier = self.cred.verifiers[manual as usize * 2 + check_name as usize].clone();
        let mut cfg = ClientConfig::builder_with_provider(p)
            .with_protocol_versions(&self.cred.versions)
            .map_err(|_| Error::AlgorithmMismatch)?
            .dangerous()
            .with_custom_certificate_verifier(verifier)
            .with_client_cert_resolver(self.cred.client_cert.clone());
        cfg.enable_secret_extraction = true;
        cfg.resumption = if self.cred.flags & SCH_CRED_DISABLE_RECONNECTS != 0 {
            Resumption::disabled()
        } else {
            Resumption::store(self.cred.sessions[manual as usize].clone())
        };
        cfg.alpn_protocols = alpn;
        let name = match name {
            Some(n) => n,
            None => {
                cfg.enable_sni = false;
                ServerName::IpAddress(std::net::Ipv4Addr::UNSPECIFIED.into())
            }
        };
        let c = UnbufferedClientConnection::new(Arc::new(cfg), name).map_err(|e| map_error(&e))?;
        Ok(Conn::Client(c))
    }

    /// Moves a finished handshake to the record layer.
    fn establish(&self, conn: Conn, sent: &[u8], received: &[u8]) -> SecResult<()> {
        // The client and server connection types differ but expose the same accessors.
        macro_rules! finished {
            ($c:expr, $kernel:path) => {{
                let c = $c;
                let resumed = c.handshake_kind() == Some(rustls::HandshakeKind::Resumed);
                let v = c.protocol_version();
                let s = c.negotiated_cipher_suite();
                let a = c.alpn_protocol().map(|a| a.to_vec());
                let g = c
                    .negotiated_key_exchange_group()
                    .map_or(0, |g| u16::from(g.name()));
                let p: Vec<Vec<u8>> = c
                    .peer_certificates()
                    .map(|l| l.iter().map(|x| x.to_vec()).collect())
                    .unwrap_or_default();
                let (sec, k) = c
                    .dangerous_into_kernel_connection()
                    .map_err(|_| Error::InternalError)?;
                (v, s, a, p, resumed, g, sec, $kernel(k))
            }};
        }
        let (version, suite, alpn, peer, resumed, group, secrets, kernel) = match conn {
            Conn::Client(c) => finished!(c, Kernel::Client),
            Conn::Server(c) => finished!(c, Kernel::Server),
        };
        let version = match version {
            Some(rustls::ProtocolVersion::TLSv1_3) => Version::Tls13,
            Some(rustls::ProtocolVersion::TLSv1_2) => Version::Tls12,
            _ => return Err(Error::AlgorithmMismatch),
        };
        let suite = suite.map(|s| u16::from(s.suite())).unwrap_or(0);
        let mut tx = Keys::new(version, secrets.tx.0, secrets.tx.1)?;
        let mut rx = Keys::new(version, secrets.rx.0, secrets.rx.1)?;
        // tls-unique (RFC 5929): the first Finished of the handshake, the client's in a full
        // handshake and the server's in a resumed one. TLS 1.2 only.
        let unique = if version == Version::Tls12 {
            let first_is_ours = self.server == resumed;
            let (flight, keys) = if first_is_ours {
                (sent, &mut tx)
            } else {
                (received, &mut rx)
            };
            record::first_after_ccs(flight).and_then(|rec| {
                let mut rec = rec.to_vec();
                let o = record::open_at(keys, version, &mut rec, 0).ok()?;
                let msg = &rec[o.start..o.start + o.len];
                (msg.len() >= 4 && msg[0] == 20).then(|| msg[4..].to_vec())
            })
        } else {
            None
        };
        let (header, trailer) = match version {
            Version::Tls12 => (tx.header_len(), record::TAG),
            Version::Tls13 => (record::HEADER, record::TAG + 1),
        };
        self.tx.lock().keys = Some(tx);
        self.rx.lock().keys = Some(rx);
        *self.kernel.lock() = Some(kernel);
        let _ = self.info.set(Info {
            version,
            suite,
            alpn,
            peer_certs: peer,
            local_cert: self
                .cred
                .key
                .as_ref()
                .and_then(|k| k.cert.first().map(|c| c.to_vec())),
            header,
            trailer,
            unique,
            resumed,
            group,
        });
        Ok(())
    }

    /// After the handshake: the KeyUpdate answer and ApplyControlToken alerts.
    fn post_handshake_output(&self, hs: &mut Handshake, out: &mut Vec<u8>) -> SecResult<()> {
        let Some(info) = self.info.get() else {
            return Ok(());
        };
        let mut tx = self.tx.lock();
        if self.decline_renegotiation.swap(false, Ordering::AcqRel) && !tx.closed {
            if let Some(keys) = tx.keys.as_mut() {
                out.extend_from_slice(&record::seal_to_vec(
                    keys,
                    info.version,
                    record::CT_ALERT,
                    &[TLS1_ALERT_WARNING as u8, TLS1_ALERT_NO_RENEGOTIATION as u8],
                )?);
            }
        }
        if self.key_update_due.swap(false, Ordering::AcqRel) && !tx.closed {
            if let Some(keys) = tx.keys.as_mut() {
                // KeyUpdate(update_not_requested) under the old key, then the new key.
                let msg = [24u8, 0, 0, 1, 0];
                out.extend_from_slice(&record::seal_to_vec(
                    keys,
                    info.version,
                    record::CT_HANDSHAKE,
                    &msg,
                )?);
                let mut k = self.kernel.lock();
                let (seq, sec) = k
                    .as_mut()
                    .ok_or(Error::InternalError)?
                    .update_tx()
                    .map_err(|_| Error::InternalError)?;
                tx.keys = Some(Keys::new(info.version, seq, sec)?);
            }
        }
        if let Some(alert) = hs.alert.take() {
            let Tx { keys, closed, .. } = &mut *tx;
            if let Some(keys) = keys.as_mut() {
                if !*closed {
                    out.extend_from_slice(&record::seal_to_vec(
                        keys,
                        info.version,
                        record::CT_ALERT,
                        &alert,
                    )?);
                }
            }
            tx.closed = true;
            hs.closed = true;
        }
        Ok(())
    }

    pub(super) fn step(&self, step: &mut Step<'_, '_>) -> SecResult<Outcome> {
        let mut hs = self.hs.lock();
        let req = step.req_flags;
        let allocated = step.output.as_deref().is_some_and(|o| o.allocate());
        // An output token with a size and a NULL pvBuffer: Schannel allocates the token even
        // without ISC_REQ_ALLOCATE_MEMORY, and does not report ALLOCATED_MEMORY (Wine
        // dlls/secur32/tests/schannel.c test_connection_shutdown, run on Windows).
        if let Some(o) = step.output.as_deref_mut() {
            if let Some(i) = o.find(SECBUFFER_TOKEN) {
                if o.size(i) > 0 && o.bytes(i).is_err() {
                    o.set_allocate(true);
                }
            }
        }
        // The flags describe the context, not the request: a TLS context always provides
        // replay and sequence detection, confidentiality and the stream form (Windows'
        // Schannel; curl's schannel.c compares them with what it needs). The request's other
        // bits are kept from the first call. ALLOCATED_MEMORY when this call allocated.
        let first = *hs.first_req.get_or_insert(req);
        step.ret_flags = if self.server {
            ASC_RET_REPLAY_DETECT
                | ASC_RET_SEQUENCE_DETECT
                | ASC_RET_CONFIDENTIALITY
                | ASC_RET_STREAM
                | (first & (ASC_REQ_EXTENDED_ERROR | ASC_REQ_MUTUAL_AUTH))
                | if allocated {
                    ASC_RET_ALLOCATED_MEMORY
                } else {
                    0
                }
        } else {
            ISC_RET_REPLAY_DETECT
                | ISC_RET_SEQUENCE_DETECT
                | ISC_RET_CONFIDENTIALITY
                | ISC_RET_STREAM
                | (first
                    & (ISC_REQ_EXTENDED_ERROR
                        | ISC_REQ_MANUAL_CRED_VALIDATION
                        | ISC_REQ_USE_SUPPLIED_CREDS))
                | if allocated {
                    ISC_RET_ALLOCATED_MEMORY
                } else {
                    0
                }
        };
        step.expiry = i64::MAX;

        // The input token and ALPN list.
        let mut token_idx = None;
        let mut alpn = Vec::new();
        if let Some(input) = step.input.as_deref() {
            // An EMPTY input buffer claiming bytes it does not have (cbBuffer with a NULL
            // pvBuffer) is refused, as Windows refuses it (issue #12's conformance cases).
            if (0..input.len()).any(|i| input.kind(i) == SECBUFFER_EMPTY && input.bytes(i).is_err())
            {
                return Err(Error::InvalidToken);
            }
            token_idx = input.find(SECBUFFER_TOKEN);
            if let Some(a) = input.find(SECBUFFER_APPLICATION_PROTOCOLS) {
                alpn = parse_alpn(input.bytes(a)?);
            }
        }
        let data: Vec<u8> = match (token_idx, step.input.as_deref()) {
            (Some(i), Some(input)) => input.bytes(i)?.to_vec(),
            _ => Vec::new(),
        };
        let mut pos = 0;
        if let Some(prev) = hs.refeed.take() {
            if data.starts_with(&prev) {
                pos = prev.len();
            }
        }
        if let Some(e) = hs.failed {
            return Err(e);
        }
        let mut out = std::mem::take(&mut hs.pending_out);

        if !hs.established {
            if let Some([level, desc]) = hs.alert.take() {
                // ApplyControlToken(SCHANNEL_SHUTDOWN / SCHANNEL_ALERT) before the handshake
                // completed: no keys yet, so the alert goes out as a plaintext alert record,
                // and the context is closed. A later token gives its record again (Wine
                // dlls/secur32/tests/schannel.c test_connection_shutdown, run on Windows).
                hs.closed = true;
                hs.conn = None;
                out.extend_from_slice(&[record::CT_ALERT, 3, 3, 0, 2, level, desc]);
                write_output(step, &out)?;
                return Ok(Outcome::Ok);
            }
        }
        if hs.established || hs.closed {
            self.post_handshake_output(&mut hs, &mut out)?;
            // Nothing to send and no input (e.g. a further ISC after the alert record went
            // out): SEC_E_INCOMPLETE_MESSAGE, the output buffer and phNewContext untouched
            // (Wine dlls/secur32/tests/schannel.c test_connection_shutdown, run on Windows).
            if out.is_empty() && token_idx.is_none() {
                return Err(Error::IncompleteMessage);
            }
            // Bytes after the handshake (application data) go back as EXTRA.
            if let (Some(t), Some(input)) = (token_idx, step.input.as_deref_mut()) {
                set_extra(input, t, pos, data.len())?;
            }
            if let Err(e) = write_output(step, &out) {
                hold_output(&mut hs, out, &data[..pos]);
                return Err(e);
            }
            return Ok(Outcome::Ok);
        }
        // An input token that does not start with a TLS record header (content type 20..=24,
        // major version 3) is refused at once, with an empty output token, as Windows does
        // (Wine dlls/secur32/tests/schannel.c test_communication: garbage and all-zero tokens
        // → SEC_E_INVALID_TOKEN, cbBuffer 0).
        if let Some(h) = data.get(pos..pos + 3) {
            if !(20..=24).contains(&h[0]) || h[1] != 3 {
                if let Some(o) = step.output.as_deref_mut() {
                    if let Some(i) = o.find(SECBUFFER_TOKEN) {
                        let _ = o.set_size(i, 0);
                    }
                }
                return Err(Error::InvalidToken);
            }
        }
        if hs.conn.is_none() {
            if self.server && data.is_empty() {
                if let Some(input) = step.input.as_deref_mut() {
                    if let Some(e) = (0..input.len()).find(|&i| input.kind(i) == SECBUFFER_EMPTY) {
                        input.set_counter(e, SECBUFFER_MISSING, record::HEADER);
                    }
                }
                return Err(Error::IncompleteMessage);
            }
            let c = self.new_conn(step.target, req, alpn)?;
            hs.conn = Some(c);
        }

        let mut fed = false;
        ClientCert::reset_asked();
        let done = loop {
            let Handshake { conn, buf, .. } = &mut *hs;
            let conn = conn.as_mut().ok_or(Error::InternalError)?;
            match drive(conn, buf, &mut out) {
                Ok(Drive::Done) => break true,
                Ok(Drive::Blocked) => {}
                Err(e) => {
                    let alert = pending_alert(conn, buf);
                    let extended =
                        req & if self.server {
                            ASC_REQ_EXTENDED_ERROR
                        } else {
                            ISC_REQ_EXTENDED_ERROR
                        } != 0;
                    hs.conn = None;
                    hs.failed = Some(e);
                    write_alert(step, &alert, extended);
                    return Err(e);
                }
            }
            match record::record_len(&data[pos..]) {
                Ok(n) => {
                    hs.buf.extend_from_slice(&data[pos..pos + n]);
                    hs.received.extend_from_slice(&data[pos..pos + n]);
                    pos += n;
                    fed = true;
                }
                Err(missing) => {
                    if !fed && out.is_empty() {
                        if let (Some(t), Some(input)) = (token_idx, step.input.as_deref_mut()) {
                            if let Some(e) = (0..input.len())
                                .find(|&i| i != t && input.kind(i) == SECBUFFER_EMPTY)
                            {
                                input.set_counter(e, SECBUFFER_MISSING, missing);
                            }
                        }
                        return Err(Error::IncompleteMessage);
                    }
                    break false;
                }
            }
        };

        hs.sent.extend_from_slice(&out);
        if done {
            let conn = hs.conn.take().ok_or(Error::InternalError)?;
            let (sent, received) = (
                std::mem::take(&mut hs.sent),
                std::mem::take(&mut hs.received),
            );
            self.establish(conn, &sent, &received)?;
            hs.established = true;
            hs.buf = Vec::new();
        }

        // The server asked for a certificate and the credentials have none.
        hs.cert_asked |= !self.server && ClientCert::asked();
        let asked = hs.cert_asked && self.cred.key.is_none();
        if asked && !hs.creds_reported && req & ISC_REQ_USE_SUPPLIED_CREDS == 0 {
            hs.creds_reported = true;
            hs.pending_out = out;
            hs.refeed = Some(data[..pos].to_vec());
            write_output(step, &[])?;
            return Ok(Outcome::IncompleteCredentials);
        }

        if let Err(e) = write_output(step, &out) {
            // Output token too small: the caller may call again with a larger one and the
            // same input.
            hold_output(&mut hs, out, &data[..pos]);
            return Err(e);
        }
        if let (Some(t), Some(input)) = (token_idx, step.input.as_deref_mut()) {
            set_extra(input, t, pos, data.len())?;
        }
        Ok(if done {
            Outcome::Ok
        } else {
            Outcome::ContinueNeeded
        })
    }

    pub(super) fn established(&self) -> SecResult<&Info> {
        self.info.get().ok_or(Error::InvalidHandle)
    }
}
