//! The initiator side of the AP exchange (InitializeSecurityContext): the AP-REQ with its RFC 4121
//! §4.1.1 authenticator checksum and optional KRB-CRED delegation, then the AP-REP check
//! (RFC 4120 §3.2.5, MS-KILE §3.2.5); ISC_RET flags.

use super::*;

/// ISC_RET_* for what the context got: the GSS flags sent, mutual auth only once the AP-REP
/// was verified, delegation only when a forwardable TGT was sent.
pub(super) fn isc_ret(gss: u32, req: u32, mutual_done: bool, allocated: bool) -> u32 {
    let mut r = 0;
    for (g, isc) in [
        (gss_flags::REPLAY, ISC_RET_REPLAY_DETECT),
        (gss_flags::SEQUENCE, ISC_RET_SEQUENCE_DETECT),
        (gss_flags::CONF, ISC_RET_CONFIDENTIALITY),
        (gss_flags::INTEG, ISC_RET_INTEGRITY),
        (gss_flags::DCE_STYLE, ISC_RET_USED_DCE_STYLE),
        (gss_flags::IDENTIFY, ISC_RET_IDENTIFY),
        (gss_flags::EXTENDED_ERROR, ISC_RET_EXTENDED_ERROR),
        (gss_flags::DELEG, ISC_RET_DELEGATE),
    ] {
        if gss & g != 0 {
            r |= isc;
        }
    }
    if mutual_done {
        r |= ISC_RET_MUTUAL_AUTH;
    }
    if req & ISC_REQ_CONNECTION != 0 {
        r |= ISC_RET_CONNECTION;
    }
    if allocated {
        r |= ISC_RET_ALLOCATED_MEMORY;
    }
    r
}

/// RFC 4121 §4.1.1 checksum value: Lgth (16), Bnd, Flags, little-endian; with delegation
/// DlgOpt (1), Dlgth and Deleg (the KRB-CRED).
pub(super) fn gss_checksum(
    bindings: &[u8; 16],
    flags: u32,
    deleg: Option<&[u8]>,
) -> SecResult<Vec<u8>> {
    let mut v = Vec::with_capacity(28 + deleg.map_or(0, <[u8]>::len));
    v.extend_from_slice(&16u32.to_le_bytes());
    v.extend_from_slice(bindings);
    v.extend_from_slice(&flags.to_le_bytes());
    if let Some(d) = deleg {
        let n = u16::try_from(d.len()).map_err(internal)?;
        v.extend_from_slice(&1u16.to_le_bytes());
        v.extend_from_slice(&n.to_le_bytes());
        v.extend_from_slice(d);
    }
    Ok(v)
}

/// The KRB-CRED carrying a forwarded TGT (RFC 4120 §5.8, RFC 4121 §4.1.1.1), its enc-part
/// under the ticket session key (key usage 14), as MIT and Windows send it.
pub(super) fn krb_cred(fwd: &super::super::Credential, key: &Key) -> SecResult<Vec<u8>> {
    let info = KrbCredInfo {
        key: encryption_key(&fwd.key),
        prealm: Some(fwd.client.realm.as_str().into()),
        pname: Some(PrincipalName::from(&fwd.client)),
        flags: Some(KerberosFlags(fwd.flags)),
        authtime: Some(KerberosTime(fwd.auth_time)),
        starttime: fwd.start_time.map(KerberosTime),
        endtime: Some(KerberosTime(fwd.end_time)),
        renew_till: fwd.renew_till.map(KerberosTime),
        srealm: Some(fwd.server.realm.as_str().into()),
        sname: Some(PrincipalName::from(&fwd.server)),
        caddr: None,
    };
    let (now, usec) = KerberosTime::now();
    let enc = EncKrbCredPart::from(App(EncKrbCredPartBody {
        ticket_info: vec![info],
        nonce: None,
        timestamp: Some(now),
        usec: Some(usec),
        s_address: None,
        r_address: None,
    }));
    let enc_der = Zeroizing::new(enc.to_bytes().map_err(internal)?);
    let cred = KrbCred::from(App(KrbCredBody {
        pvno: 5,
        msg_type: msg_type::KRB_CRED,
        tickets: vec![Ticket::from_bytes(&fwd.ticket).map_err(internal)?],
        enc_part: EncryptedData::new(
            key.etype().to_i32(),
            None,
            key.encrypt(usage::KRB_CRED_ENC_PART, &enc_der),
        )
        .map_err(internal)?,
    }));
    cred.to_bytes().map_err(internal)
}

impl KerberosContext {
    /// ISC, first call: the AP-REQ.
    pub(super) fn ap_req(&self, step: &mut Step<'_, '_>) -> SecResult<(State, Outcome, u32)> {
        let client = self.creds.client.as_ref().ok_or(Error::NoCredentials)?;
        let target = step
            .target
            .filter(|t| !t.is_empty())
            .ok_or(Error::TargetUnknown)?;
        let server = self.target_principal(target, &client.principal.realm)?;
        let ticket = client.service_ticket(&self.creds.config, &server)?;
        let bindings = step.input_bindings()?.unwrap_or([0; 16]);
        let mut gss = gss_flags_of(step.req_flags);
        // Delegation: a forwarded TGT in a KRB-CRED, when the client's TGT is forwardable;
        // otherwise the context is made without it and ISC_RET_DELEGATE stays clear.
        let deleg = if gss & gss_flags::DELEG != 0 {
            client
                .forwarded_tgt(&self.creds.config)
                .map(|fwd| krb_cred(&fwd, &ticket.key))
                .transpose()?
        } else {
            None
        };
        if deleg.is_none() {
            gss &= !gss_flags::DELEG;
        }
        let dce = gss & gss_flags::DCE_STYLE != 0;
        let mutual = gss & gss_flags::MUTUAL != 0;
        let subkey = Key::random(ticket.key.etype());
        let seq = random_seq();
        let (ctime, cusec) = KerberosTime::now();
        let auth = Authenticator::from(App(AuthenticatorBody {
            authenticator_vno: 5,
            crealm: ticket.client.realm.as_str().into(),
            cname: PrincipalName::from(&ticket.client),
            cksum: Some(Checksum {
                cksumtype: GSS_CHECKSUM_TYPE,
                checksum: octets(gss_checksum(&bindings, gss, deleg.as_deref())?)?,
            }),
            cusec,
            ctime,
            subkey: Some(encryption_key(&subkey)),
            seq_number: Some(UInt32(seq)),
            authorization_data: None,
        }));
        let auth_der = Zeroizing::new(auth.to_bytes().map_err(internal)?);
        let enc_auth = ticket.key.encrypt(usage::AP_REQ_AUTHENTICATOR, &auth_der);
        let mut ap_options = KerberosFlags(0);
        if mutual {
            ap_options = ap_options.with_bit(flags::MUTUAL_REQUIRED);
        }
        let ap_req = ApReq::from(App(ApReqBody {
            pvno: 5,
            msg_type: msg_type::AP_REQ,
            ap_options,
            ticket: Ticket::from_bytes(&ticket.ticket).map_err(internal)?,
            authenticator: EncryptedData::new(ticket.key.etype().to_i32(), None, enc_auth)
                .map_err(internal)?,
        }));
        let der = ap_req.to_bytes().map_err(internal)?;
        let token = if dce {
            der
        } else {
            gss::encode_initial_context_token(Mech::Krb5, gss::TOK_ID_AP_REQ, &der)
        };
        let allocated = write_output(step, &token)?;
        if mutual {
            let ret = isc_ret(gss, step.req_flags, false, allocated);
            return Ok((
                State::AwaitApRep(Box::new(ClientPending {
                    ticket,
                    subkey,
                    ctime,
                    cusec,
                    seq,
                    gss,
                    server,
                })),
                Outcome::ContinueNeeded,
                ret,
            ));
        }
        // No AP-REP: the acceptor sends with the initiator's sequence number (RFC 4121 §2,
        // MIT: seq_send = seq_recv) and the initiator subkey protects the messages.
        let ret = isc_ret(gss, step.req_flags, false, allocated);
        let est = Established {
            session: Session::new(
                subkey.clone(),
                true,
                false,
                seq as u64,
                seq as u64,
                wrap_options(gss),
            ),
            key: subkey,
            client: ticket.client.clone(),
            server,
            start: ticket.start_time.unwrap_or(ticket.auth_time),
            end: ticket.end_time,
            ret_flags: ret,
        };
        let _ = self.done.set(est);
        Ok((State::Done, Outcome::Ok, ret))
    }

    /// ISC, second call: verify the AP-REP (RFC 4120 §3.2.5); DCE style answers it.
    pub(super) fn ap_rep(
        &self,
        step: &mut Step<'_, '_>,
        p: &ClientPending,
    ) -> SecResult<(Outcome, u32)> {
        let token = step.input_token()?;
        let dce = p.gss & gss_flags::DCE_STYLE != 0;
        let der: &[u8] = match token.first() {
            Some(0x60) => {
                let t = gss::parse_initial_context_token(&token).map_err(asn1_err)?;
                if t.tok_id == gss::TOK_ID_KRB_ERROR {
                    return Err(krb_error_status(t.message));
                }
                if t.tok_id != gss::TOK_ID_AP_REP {
                    return Err(Error::InvalidToken);
                }
                // Borrow from the token for the rest of the function.
                let off = t.message.as_ptr() as usize - token.as_ptr() as usize;
                &token[off..off + t.message.len()]
            }
            Some(0x7e) => return Err(krb_error_status(&token)),
            Some(0x6f) => &token,
            _ => return Err(Error::InvalidToken),
        };
        let rep = ApRep::from_bytes(der).map_err(asn1_err)?;
        let key = &p.ticket.key;
        if rep.pvno != 5 || rep.msg_type != msg_type::AP_REP {
            return Err(Error::InvalidToken);
        }
        if rep.enc_part.etype != key.etype().to_i32() {
            return Err(Error::InvalidToken);
        }
        let plain = key
            .decrypt(usage::AP_REP_ENC_PART, rep.enc_part.cipher.as_bytes())
            .map_err(|_| Error::MessageAltered)?;
        let enc = EncApRepPart::from_bytes(&plain).map_err(asn1_err)?;
        if enc.ctime != p.ctime || enc.cusec != p.cusec {
            // RFC 4120 §3.2.5: KRB_AP_ERR_MUT_FAIL.
            return Err(Error::MessageAltered);
        }
        let acceptor_subkey = enc.subkey.as_ref().map(key_of).transpose()?;
        let acceptor_seq = enc.seq_number.map(|s| s.0).unwrap_or(p.seq);
        let mut allocated = false;
        if dce {
            // MS-KILE §3.4.5.1 / MIT krb5_mk_rep_dce: the client's AP-REP, current time, no
            // subkey, the acceptor's sequence number, under the ticket session key.
            let (ctime, cusec) = KerberosTime::now();
            let mine = EncApRepPart::from(App(EncApRepPartBody {
                ctime,
                cusec,
                subkey: None,
                seq_number: Some(UInt32(acceptor_seq)),
            }));
            let mine_der = Zeroizing::new(mine.to_bytes().map_err(internal)?);
            let rep = ApRep::from(App(ApRepBody {
                pvno: 5,
                msg_type: msg_type::AP_REP,
                enc_part: EncryptedData::new(
                    key.etype().to_i32(),
                    None,
                    key.encrypt(usage::AP_REP_ENC_PART, &mine_der),
                )
                .map_err(internal)?,
            }));
            allocated = write_output(step, &rep.to_bytes().map_err(internal)?)?;
        } else {
            empty_output(step);
        }
        let ret = isc_ret(p.gss, step.req_flags, true, allocated);
        let (wrap_key, is_acceptor_subkey) = match acceptor_subkey {
            Some(k) => (k, true),
            None => (p.subkey.clone(), false),
        };
        let est = Established {
            session: Session::new(
                wrap_key.clone(),
                true,
                is_acceptor_subkey,
                p.seq as u64,
                acceptor_seq as u64,
                wrap_options(p.gss),
            ),
            key: wrap_key,
            client: p.ticket.client.clone(),
            server: p.server.clone(),
            start: p.ticket.start_time.unwrap_or(p.ticket.auth_time),
            end: p.ticket.end_time,
            ret_flags: ret,
        };
        let _ = self.done.set(est);
        Ok((Outcome::Ok, ret))
    }
}
