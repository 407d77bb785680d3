//! The acceptor side of the AP exchange (AcceptSecurityContext): ticket and authenticator checks
//! (RFC 4120 §3.2.3), the replay cache, delegated KRB-CRED checks, the AP-REP, and the third
//! leg of DCE style (MS-KILE §3.4.5.1); ASC_RET flags.

use super::*;

/// ASC_RET_* for the GSS flags the client sent (and the acceptor's own choices).
pub(super) fn asc_ret(gss: u32, req: u32, allocated: bool) -> u32 {
    let mut r = 0;
    for (g, asc) in [
        (gss_flags::DELEG, ASC_RET_DELEGATE),
        (gss_flags::MUTUAL, ASC_RET_MUTUAL_AUTH),
        (gss_flags::REPLAY, ASC_RET_REPLAY_DETECT),
        (gss_flags::SEQUENCE, ASC_RET_SEQUENCE_DETECT),
        (gss_flags::CONF, ASC_RET_CONFIDENTIALITY),
        (gss_flags::INTEG, ASC_RET_INTEGRITY),
        (gss_flags::DCE_STYLE, ASC_RET_USED_DCE_STYLE),
        (gss_flags::IDENTIFY, ASC_RET_IDENTIFY),
        (gss_flags::EXTENDED_ERROR, ASC_RET_EXTENDED_ERROR),
    ] {
        if gss & g != 0 {
            r |= asc;
        }
    }
    if req & ASC_REQ_CONNECTION != 0 {
        r |= ASC_RET_CONNECTION;
    }
    if allocated {
        r |= ASC_RET_ALLOCATED_MEMORY;
    }
    r
}

/// Checks a delegated KRB-CRED (RFC 4121 §4.1.1.1 Deleg): it must decrypt under the session
/// key (or the initiator subkey) and hold one credential. Errors: SEC_E_INVALID_TOKEN.
pub(super) fn check_krb_cred(bytes: &[u8], keys: &[&Key]) -> SecResult<()> {
    let cred = KrbCred::from_bytes(bytes).map_err(asn1_err)?;
    let ed = &cred.0.enc_part;
    let plain = keys
        .iter()
        .filter(|k| k.etype().to_i32() == ed.etype)
        .find_map(|k| {
            k.decrypt(usage::KRB_CRED_ENC_PART, ed.cipher.as_bytes())
                .ok()
        })
        .ok_or(Error::InvalidToken)?;
    let enc = EncKrbCredPart::from_bytes(&plain).map_err(asn1_err)?;
    if enc.0.ticket_info.len() != cred.0.tickets.len() || cred.0.tickets.is_empty() {
        return Err(Error::InvalidToken);
    }
    Ok(())
}

/// The AP-REQ inside an input token: an InitialContextToken with TOK_ID 01 00 under the krb5
/// or Microsoft krb5 OID, or (DCE style, HTTP clients) a bare AP-REQ.
pub(super) fn ap_req_of(token: &[u8]) -> SecResult<(ApReq, bool)> {
    match token.first() {
        Some(0x60) => {
            let t = gss::parse_initial_context_token(token).map_err(asn1_err)?;
            if !matches!(t.mech, Mech::Krb5 | Mech::MsKrb5) || t.tok_id != gss::TOK_ID_AP_REQ {
                return Err(Error::InvalidToken);
            }
            Ok((ApReq::from_bytes(t.message).map_err(asn1_err)?, true))
        }
        Some(0x6e) => Ok((ApReq::from_bytes(token).map_err(asn1_err)?, false)),
        _ => Err(Error::InvalidToken),
    }
}

/// Replayed authenticators (RFC 4120 §3.2.3): (client, authenticator, ctime, cusec) seen within
/// the clock skew, kept process-wide as Windows keeps them per machine. `authenticator` is the
/// authenticator's ciphertext (as MIT's replay cache tags entries since 1.18), not the ticket's
/// sname: that is cleartext an attacker may change (Windows and MIT accept tickets whose sname
/// differs from the key's principal), which would slip a replay past a cache keyed on it.
pub(super) fn replay_seen(
    client: &str,
    authenticator: &str,
    ctime: i64,
    cusec: i32,
    skew: i64,
) -> bool {
    type Entry = (String, String, i64, i32);
    static CACHE: Mutex<Vec<Entry>> = Mutex::new(Vec::new());
    let t = now();
    let mut c = CACHE.lock();
    c.retain(|e| (e.2 - t).abs() <= skew);
    if c.iter()
        .any(|e| e.0 == client && e.1 == authenticator && e.2 == ctime && e.3 == cusec)
    {
        return true;
    }
    c.push((client.to_owned(), authenticator.to_owned(), ctime, cusec));
    false
}

impl KerberosContext {
    /// ASC, first call: check the AP-REQ (RFC 4120 §3.2.3), answer with an AP-REP.
    pub(super) fn accept_ap_req(
        &self,
        step: &mut Step<'_, '_>,
    ) -> SecResult<(State, Outcome, u32)> {
        let server = self.creds.server.as_ref().ok_or(Error::NoCredentials)?;
        let token = step.input_token()?;
        let (ap_req, framed) = ap_req_of(&token)?;
        let req = &ap_req.0;
        if req.pvno != 5 || req.msg_type != msg_type::AP_REQ {
            return Err(Error::InvalidToken);
        }
        let tkt = &req.ticket.0;
        if tkt.tkt_vno != 5 {
            return Err(Error::InvalidToken);
        }
        let sname = tkt.sname.to_principal(&tkt.realm);
        let etype = Etype::from_i32(tkt.enc_part.etype).ok_or(Error::AlgorithmMismatch)?;
        let kvno = tkt.enc_part.kvno.map(|k| k.0);
        let keys = server.ticket_keys(&sname, etype, kvno)?;
        if keys.is_empty() {
            // KRB_AP_ERR_NOKEY: a ticket for a key this acceptor does not hold.
            return Err(self.ap_error(Error::WrongPrincipal, error_code::KRB_AP_ERR_NOKEY));
        }
        let enc_ticket = keys
            .iter()
            .find_map(|k| {
                k.decrypt(usage::TICKET, tkt.enc_part.cipher.as_bytes())
                    .ok()
            })
            // KRB_AP_ERR_MODIFIED: Windows reports the wrong account's key this way.
            .ok_or_else(|| self.ap_error(Error::WrongPrincipal, error_code::KRB_AP_ERR_MODIFIED))?;
        let et = EncTicketPart::from_bytes(&enc_ticket).map_err(asn1_err)?.0;
        let session_key = key_of(&et.key)?;
        let client = et.cname.to_principal(&et.crealm);
        let skew = self.creds.config.clockskew().as_secs() as i64;
        let t = now();
        let start = et.starttime.map(|s| s.0).unwrap_or(et.authtime.0);
        if start - skew > t {
            return Err(self.ap_error(Error::TimeSkew, error_code::KRB_AP_ERR_TKT_NYV));
        }
        if et.endtime.0 + skew < t {
            return Err(self.ap_error(Error::ContextExpired, error_code::KRB_AP_ERR_TKT_EXPIRED));
        }
        if req.authenticator.etype != session_key.etype().to_i32() {
            return Err(Error::InvalidToken);
        }
        let auth_plain = session_key
            .decrypt(
                usage::AP_REQ_AUTHENTICATOR,
                req.authenticator.cipher.as_bytes(),
            )
            .map_err(|_| self.ap_error(Error::LogonDenied, error_code::KRB_AP_ERR_MODIFIED))?;
        let auth = Authenticator::from_bytes(&auth_plain).map_err(asn1_err)?.0;
        if auth.crealm != et.crealm || !auth.cname.same_name(&et.cname) {
            return Err(self.ap_error(Error::LogonDenied, error_code::KRB_AP_ERR_BADMATCH));
        }
        if (auth.ctime.0 - t).abs() > skew {
            return Err(self.ap_error(Error::TimeSkew, error_code::KRB_AP_ERR_SKEW));
        }
        let client_text = display_name(&client);
        // The GSS checksum: bindings and flags (RFC 4121 §4.1.1).
        let mut gss = 0;
        if let Some(ck) = auth
            .cksum
            .as_ref()
            .filter(|c| c.cksumtype == GSS_CHECKSUM_TYPE)
        {
            let v = ck.checksum.as_bytes();
            if v.len() < 24 || u32::from_le_bytes([v[0], v[1], v[2], v[3]]) != 16 {
                return Err(Error::InvalidToken);
            }
            let bnd: [u8; 16] = v[4..20].try_into().map_err(internal)?;
            gss = u32::from_le_bytes([v[20], v[21], v[22], v[23]]);
            if let Some(ours) = step.input_bindings()? {
                // Windows accepts a client that sent no bindings unless hardened.
                if bnd != [0; 16] && !bool::from(ours.ct_eq(&bnd)) {
                    return Err(Error::BadBindings);
                }
            }
            // RFC 4121 §4.1.1.1: with GSS_C_DELEG_FLAG, DlgOpt 1, Dlgth, Deleg (KRB-CRED).
            // The delegated TGT is checked; it is not stored (there is no logon session to
            // put it in), but the context reports the delegation as Windows does.
            if gss & gss_flags::DELEG != 0 {
                let dlg = v.get(24..28).ok_or(Error::InvalidToken)?;
                let len = u16::from_le_bytes([dlg[2], dlg[3]]) as usize;
                let cred = v.get(28..28 + len).ok_or(Error::InvalidToken)?;
                if u16::from_le_bytes([dlg[0], dlg[1]]) != 1 {
                    return Err(Error::InvalidToken);
                }
                let sub = auth.subkey.as_ref().map(key_of).transpose()?;
                let mut keys = vec![&session_key];
                if let Some(k) = &sub {
                    keys.push(k);
                }
                check_krb_cred(cred, &keys)?;
            }
        } else if framed {
            return Err(Error::InvalidToken);
        }
        if req.ap_options.bit(flags::MUTUAL_REQUIRED) {
            gss |= gss_flags::MUTUAL;
        }
        if step.req_flags & ASC_REQ_USE_DCE_STYLE != 0 && !framed {
            gss |= gss_flags::DCE_STYLE;
        }
        let auth_tag: String = req
            .authenticator
            .cipher
            .as_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        if replay_seen(&client_text, &auth_tag, auth.ctime.0, auth.cusec, skew) {
            return Err(self.ap_error(Error::LogonDenied, error_code::KRB_AP_ERR_REPEAT));
        }
        let initiator_subkey = auth.subkey.as_ref().map(key_of).transpose()?;
        let initiator_seq = auth.seq_number.map(|s| s.0).unwrap_or(0);
        let dce = gss & gss_flags::DCE_STYLE != 0;
        let mutual = gss & gss_flags::MUTUAL != 0 || dce;
        // The acceptor subkey (RFC 4121 §2): sent for the AES enctypes and in DCE style, as
        // MIT and Windows do; RC4 contexts keep the initiator's key (RFC 4757).
        let base = initiator_subkey
            .clone()
            .unwrap_or_else(|| session_key.clone());
        let acceptor_subkey =
            (mutual && (base.etype().is_aes() || dce)).then(|| Key::random(base.etype()));
        // The AP-REP carries the AP-REQ's sequence number (what Windows acceptors send).
        let acceptor_seq = initiator_seq;
        let (wrap_key, is_acceptor_subkey) = match &acceptor_subkey {
            Some(k) => (k.clone(), true),
            None => (base, false),
        };
        let mut allocated = false;
        if mutual {
            let enc = EncApRepPart::from(App(EncApRepPartBody {
                ctime: auth.ctime,
                cusec: auth.cusec,
                subkey: acceptor_subkey.as_ref().map(encryption_key),
                seq_number: Some(UInt32(acceptor_seq)),
            }));
            let enc_der = Zeroizing::new(enc.to_bytes().map_err(internal)?);
            let rep = ApRep::from(App(ApRepBody {
                pvno: 5,
                msg_type: msg_type::AP_REP,
                enc_part: EncryptedData::new(
                    session_key.etype().to_i32(),
                    None,
                    session_key.encrypt(usage::AP_REP_ENC_PART, &enc_der),
                )
                .map_err(internal)?,
            }));
            let der = rep.to_bytes().map_err(internal)?;
            let token = if dce {
                der
            } else {
                gss::encode_initial_context_token(Mech::Krb5, gss::TOK_ID_AP_REP, &der)
            };
            allocated = write_output(step, &token)?;
        } else {
            empty_output(step);
        }
        let ret = asc_ret(gss, step.req_flags, allocated);
        let est = Established {
            session: Session::new(
                wrap_key.clone(),
                false,
                is_acceptor_subkey,
                acceptor_seq as u64,
                initiator_seq as u64,
                wrap_options(gss),
            ),
            key: wrap_key,
            client,
            server: sname,
            start,
            end: et.endtime.0,
            ret_flags: ret,
        };
        if dce {
            return Ok((
                State::AwaitDceApRep(Box::new(ServerPending {
                    established: est,
                    session_key,
                    seq: acceptor_seq,
                })),
                Outcome::ContinueNeeded,
                ret,
            ));
        }
        let _ = self.done.set(est);
        Ok((State::Done, Outcome::Ok, ret))
    }

    /// ASC, DCE style: the client's AP-REP ends the exchange (MS-KILE §3.4.5.1).
    pub(super) fn accept_dce_ap_rep(
        &self,
        step: &mut Step<'_, '_>,
        p: ServerPending,
    ) -> SecResult<u32> {
        let token = step.input_token()?;
        if token.first() == Some(&0x7e) {
            return Err(krb_error_status(&token));
        }
        let rep = ApRep::from_bytes(&token).map_err(asn1_err)?;
        if rep.pvno != 5
            || rep.msg_type != msg_type::AP_REP
            || rep.enc_part.etype != p.session_key.etype().to_i32()
        {
            return Err(Error::InvalidToken);
        }
        let plain = p
            .session_key
            .decrypt(usage::AP_REP_ENC_PART, rep.enc_part.cipher.as_bytes())
            .map_err(|_| Error::MessageAltered)?;
        let enc = EncApRepPart::from_bytes(&plain).map_err(asn1_err)?;
        if enc.seq_number.map(|s| s.0) != Some(p.seq) {
            return Err(Error::MessageAltered);
        }
        empty_output(step);
        let ret = p.established.ret_flags;
        let _ = self.done.set(p.established);
        Ok(ret)
    }
}
