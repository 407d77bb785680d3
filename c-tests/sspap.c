/* SSP/AP plug-ins through the exports (c-tests/sspap-test.sh builds and runs this):
 *   sspap add TOY.so BADDIR LOG   AddSecurityPackage with the sample package (examples/toy_ssp):
 *                                 handshake, EncryptMessage/DecryptMessage (SpSealMessage sees
 *                                 the caller's SecBufferDesc, fQOP, MessageSeqNo), tamper,
 *                                 replay, signatures, attributes, export, delete; then every
 *                                 broken plug-in in BADDIR (c-tests/sspap_bad.c), each giving
 *                                 its status and a line in LOG (SECUR32_LOG_FILE).
 *   sspap env                     with SECUR32_PACKAGES set by the script: the packages it
 *                                 names are listed without any call to AddSecurityPackage. */
#define _GNU_SOURCE
#define SECURITY_WIN32
#include "check.h"
#include "security.h"
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    void *seal_desc, *seal_buffers;
    unsigned long seal_qop, seal_seq;
    unsigned long user_contexts_deleted, lsa_contexts_deleted, credentials_freed, mapped;
    unsigned long instance_inits, initializes;
    unsigned long package_ids[2];
} toy_trace;

static int has_package(const char *name) {
    ULONG n = 0, i;
    PSecPkgInfoA infos = NULL;
    int found = 0;
    if (EnumerateSecurityPackagesA(&n, &infos) != SEC_E_OK) return 0;
    for (i = 0; i < n; i++) found |= strcmp(infos[i].Name, name) == 0;
    FreeContextBuffer(infos);
    return found;
}

static SECURITY_STATUS acquire(const char *pkg, ULONG use, const char *password, CredHandle *h) {
    SEC_WINNT_AUTH_IDENTITY_A id;
    TimeStamp ts;
    memset(&id, 0, sizeof id);
    id.User = (unsigned char *)"user";
    id.UserLength = 4;
    id.Password = (unsigned char *)password;
    id.PasswordLength = (ULONG)strlen(password);
    id.Flags = SEC_WINNT_AUTH_IDENTITY_ANSI;
    return AcquireCredentialsHandleA(NULL, (SEC_CHAR *)pkg, use, NULL, &id, NULL, NULL, h, &ts);
}

/* Runs the three-token handshake; returns the status of the first failing step or SEC_E_OK. */
static SECURITY_STATUS handshake(CredHandle *cc, CredHandle *sc, CtxtHandle *c, CtxtHandle *s) {
    SecBuffer ob = {0, SECBUFFER_TOKEN, NULL}, ib, sb;
    SecBufferDesc od = {SECBUFFER_VERSION, 1, &ob}, id = {SECBUFFER_VERSION, 1, &ib},
                  sd = {SECBUFFER_VERSION, 1, &sb};
    unsigned char stok[128];
    ULONG attrs;
    TimeStamp ts;
    SECURITY_STATUS r;
    /* Client token 1, allocated by the package (ISC_REQ_ALLOCATE_MEMORY). */
    r = InitializeSecurityContextA(cc, NULL, (SEC_CHAR *)"host/toy", ISC_REQ_ALLOCATE_MEMORY | ISC_REQ_CONFIDENTIALITY,
                                   0, SECURITY_NATIVE_DREP, NULL, 0, c, &od, &attrs, &ts);
    if (r != SEC_I_CONTINUE_NEEDED) return r;
    CHECK(ob.cbBuffer == 21 && ob.pvBuffer != NULL, "token 1: %lu bytes", (unsigned long)ob.cbBuffer);
    CHECK(attrs & ISC_RET_ALLOCATED_MEMORY, "ISC_RET_ALLOCATED_MEMORY in 0x%lx", (unsigned long)attrs);
    ib = ob;
    sb.BufferType = SECBUFFER_TOKEN, sb.cbBuffer = sizeof stok, sb.pvBuffer = stok;
    r = AcceptSecurityContext(sc, NULL, &id, ASC_REQ_CONFIDENTIALITY, SECURITY_NATIVE_DREP, s, &sd, &attrs, &ts);
    CHECK_STATUS(FreeContextBuffer(ob.pvBuffer), SEC_E_OK); /* the package's AllocateHeap memory */
    if (r != SEC_I_CONTINUE_NEEDED) return r;
    ib = sb;
    ob.cbBuffer = 0, ob.pvBuffer = NULL;
    r = InitializeSecurityContextA(cc, c, (SEC_CHAR *)"host/toy", ISC_REQ_ALLOCATE_MEMORY, 0, SECURITY_NATIVE_DREP,
                                   &id, 0, c, &od, &attrs, &ts);
    if (r != SEC_E_OK) return r;
    ib = ob;
    sb.cbBuffer = sizeof stok;
    r = AcceptSecurityContext(sc, s, &id, 0, SECURITY_NATIVE_DREP, s, &sd, &attrs, &ts);
    /* the last leg sends nothing: a Windows-style `if (out.cbBuffer) send()` loop stops */
    if (r == SEC_E_OK) CHECK(sb.cbBuffer == 0, "final ASC output cbBuffer %lu", (unsigned long)sb.cbBuffer);
    FreeContextBuffer(ob.pvBuffer);
    return r;
}

static void message_tests(CtxtHandle *c, CtxtHandle *s, toy_trace *tr) {
    unsigned char tok[40], data[64], copy_tok[40], copy_data[64];
    const char *msg = "attack at dawn, bring the sample package";
    size_t n = strlen(msg);
    SecBuffer b[2];
    SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
    ULONG qop = 99;
    SecPkgContext_Sizes sizes;
    SecPkgContext_NamesW names;
    SecBuffer packed = {0, SECBUFFER_EMPTY, NULL};

    CHECK_STATUS(QueryContextAttributesA(c, SECPKG_ATTR_SIZES, &sizes), SEC_E_OK);
    CHECK(sizes.cbMaxToken == 128 && sizes.cbMaxSignature == 40 && sizes.cbSecurityTrailer == 40,
          "sizes %lu/%lu/%lu", (unsigned long)sizes.cbMaxToken, (unsigned long)sizes.cbMaxSignature,
          (unsigned long)sizes.cbSecurityTrailer);
    CHECK_STATUS(QueryContextAttributesW(s, SECPKG_ATTR_NAMES, &names), SEC_E_OK);
    CHECK(names.sUserName && names.sUserName[0] == 't' && names.sUserName[3] == '-', "names");
    CHECK_STATUS(FreeContextBuffer(names.sUserName), SEC_E_OK);
    {
        SecPkgContext_NamesA na;
        CHECK_STATUS(QueryContextAttributesA(s, SECPKG_ATTR_NAMES, &na), SEC_E_OK);
        CHECK(na.sUserName && strcmp(na.sUserName, "toy-peer") == 0, "A form: UTF-8 name");
        CHECK_STATUS(FreeContextBuffer(na.sUserName), SEC_E_OK);
    }
    CHECK_STATUS(QueryContextAttributesA(c, SECPKG_ATTR_LIFESPAN, &sizes), SEC_E_UNSUPPORTED_FUNCTION);
    {
        /* PACKAGE_INFO comes from the package's SpGetInfo, as for every package */
        SecPkgContext_PackageInfoA pi;
        CHECK_STATUS(QueryContextAttributesA(c, SECPKG_ATTR_PACKAGE_INFO, &pi), SEC_E_OK);
        CHECK(pi.PackageInfo && strcmp(pi.PackageInfo->Name, "ToySSP") == 0, "PACKAGE_INFO names the plug-in");
        if (pi.PackageInfo) FreeContextBuffer(pi.PackageInfo);
    }

    /* EncryptMessage → SpSealMessage with the caller's own descriptor, fQOP and seq. */
    memcpy(data, msg, n);
    b[0].BufferType = SECBUFFER_TOKEN, b[0].cbBuffer = sizeof tok, b[0].pvBuffer = tok;
    b[1].BufferType = SECBUFFER_DATA, b[1].cbBuffer = (ULONG)n, b[1].pvBuffer = data;
    CHECK_STATUS(EncryptMessage(c, 0, &d, 7), SEC_E_OK);
    CHECK(tr->seal_desc == (void *)&d, "SpSealMessage got descriptor %p, caller's is %p", tr->seal_desc, (void *)&d);
    CHECK(tr->seal_buffers == (void *)b, "SpSealMessage got pBuffers %p, caller's is %p", tr->seal_buffers, (void *)b);
    CHECK(tr->seal_qop == 0 && tr->seal_seq == 7, "fQOP %lu seq %lu", tr->seal_qop, tr->seal_seq);
    CHECK(memcmp(data, msg, n) != 0, "data encrypted in place");
    CHECK(b[0].cbBuffer == 40, "trailer %lu", (unsigned long)b[0].cbBuffer);
    memcpy(copy_tok, tok, 40), memcpy(copy_data, data, n);
    /* Tampered → SEC_E_MESSAGE_ALTERED, consuming nothing. */
    data[3] ^= 1;
    CHECK_STATUS(DecryptMessage(s, &d, 7, &qop), SEC_E_MESSAGE_ALTERED);
    data[3] ^= 1;
    CHECK_STATUS(DecryptMessage(s, &d, 8, &qop), SEC_E_MESSAGE_ALTERED); /* MessageSeqNo is MAC'd */
    CHECK_STATUS(DecryptMessage(s, &d, 7, &qop), SEC_E_OK);
    CHECK(qop == 0 && memcmp(data, msg, n) == 0, "decrypted: qop %lu", (unsigned long)qop);
    /* Replay → SEC_E_OUT_OF_SEQUENCE. */
    memcpy(tok, copy_tok, 40), memcpy(data, copy_data, n);
    CHECK_STATUS(DecryptMessage(s, &d, 7, &qop), SEC_E_OUT_OF_SEQUENCE);

    /* Integrity only: SECQOP_WRAP_NO_ENCRYPT passes through to the package and back in pfQOP. */
    memcpy(data, msg, n);
    b[0].cbBuffer = sizeof tok;
    CHECK_STATUS(EncryptMessage(c, SECQOP_WRAP_NO_ENCRYPT, &d, 0), SEC_E_OK);
    CHECK(tr->seal_qop == SECQOP_WRAP_NO_ENCRYPT && tr->seal_seq == 0, "fQOP 0x%lx", tr->seal_qop);
    CHECK(memcmp(data, msg, n) == 0, "WRAP_NO_ENCRYPT leaves the data in clear");
    CHECK_STATUS(DecryptMessage(s, &d, 0, &qop), SEC_E_OK);
    CHECK(qop == SECQOP_WRAP_NO_ENCRYPT, "pfQOP 0x%lx", (unsigned long)qop);
    CHECK_STATUS(EncryptMessage(c, 0x1234, &d, 0), SEC_E_QOP_NOT_SUPPORTED);

    /* Signatures, server → client. */
    b[0].cbBuffer = sizeof tok;
    CHECK_STATUS(MakeSignature(s, 0, &d, 3), SEC_E_OK);
    CHECK(memcmp(data, msg, n) == 0, "MakeSignature leaves the data");
    data[0] ^= 0x80;
    CHECK_STATUS(VerifySignature(c, &d, 3, &qop), SEC_E_MESSAGE_ALTERED);
    data[0] ^= 0x80;
    CHECK_STATUS(VerifySignature(c, &d, 3, &qop), SEC_E_OK);

    /* Seal server → client too (the other direction's keys). */
    b[0].cbBuffer = sizeof tok;
    CHECK_STATUS(EncryptMessage(s, 0, &d, 0), SEC_E_OK);
    CHECK_STATUS(DecryptMessage(c, &d, 0, &qop), SEC_E_OK);
    CHECK(memcmp(data, msg, n) == 0, "server → client");

    /* ExportSecurityContext → SpExportSecurityContext; ImportSecurityContext →
       SpImportSecurityContext: the imported context goes on where the client left off. */
    CHECK_STATUS(ExportSecurityContext(c, 0, &packed, NULL), SEC_E_OK);
    CHECK(packed.cbBuffer == 140 && memcmp(packed.pvBuffer, "TOYX", 4) == 0, "exported %lu bytes",
          (unsigned long)packed.cbBuffer);
    {
        CtxtHandle imp;
        SEC_CHAR pkg[] = "ToySSP";
        SEC_CHAR ntlm[] = "NTLM";
        CHECK_STATUS(ImportSecurityContextA(pkg, &packed, NULL, &imp), SEC_E_OK);
        memcpy(data, msg, n);
        b[0].cbBuffer = sizeof tok;
        CHECK_STATUS(EncryptMessage(&imp, 0, &d, 0), SEC_E_OK);
        CHECK_STATUS(DecryptMessage(s, &d, 0, &qop), SEC_E_OK);
        CHECK(memcmp(data, msg, n) == 0, "imported context → server");
        CHECK_STATUS(DeleteSecurityContext(&imp), SEC_E_OK);
        CHECK_STATUS(ImportSecurityContextA(ntlm, &packed, NULL, &imp), SEC_E_UNSUPPORTED_FUNCTION);
        packed.cbBuffer = 3;
        CHECK_STATUS(ImportSecurityContextA(pkg, &packed, NULL, &imp), SEC_E_INVALID_TOKEN);
    }
    CHECK_STATUS(FreeContextBuffer(packed.pvBuffer), SEC_E_OK);
    /* CompleteAuthToken (no entry: OK), ApplyControlToken (no entry: unsupported). */
    CHECK_STATUS(CompleteAuthToken(c, &d), SEC_E_OK);
    CHECK_STATUS(ApplyControlToken(c, &d), SEC_E_UNSUPPORTED_FUNCTION);
}

static void toy_tests(const char *path) {
    void *lib;
    toy_trace *tr;
    CredHandle cc, sc, bad;
    CtxtHandle c, s, c2, s2, forged;
    SecPkgInfoW *info = NULL;
    SEC_WCHAR wname[] = {'T', 'o', 'y', 'S', 'S', 'P', 0};
    SEC_WCHAR wpath[512];
    size_t i;
    unsigned char tok[40], data[8];
    SecBuffer b[2] = {{sizeof tok, SECBUFFER_TOKEN, tok}, {sizeof data, SECBUFFER_DATA, data}};
    SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
    unsigned long deleted_user, deleted_lsa, freed;

    CHECK(!has_package("ToySSP"), "ToySSP before AddSecurityPackage");
    CHECK_STATUS(QuerySecurityPackageInfoW(wname, &info), SEC_E_SECPKG_NOT_FOUND);
    CHECK_STATUS(AddSecurityPackageA((SEC_CHAR *)path, NULL), SEC_E_OK);
    CHECK(has_package("ToySSP") && has_package("ToySSP-Alt"), "both packages of the library listed");
    CHECK(has_package("NTLM"), "built-in packages still listed");
    CHECK_STATUS(QuerySecurityPackageInfoW(wname, &info), SEC_E_OK);
    if (info) {
        CHECK(info->cbMaxToken == 128 && info->wRPCID == 0xFFFF && info->Comment && info->Comment[0] == 'T',
              "SecPkgInfo from SpGetInfo");
        CHECK((info->fCapabilities & SECPKG_FLAG_PRIVACY) != 0, "capabilities");
        FreeContextBuffer(info);
    }
    /* The same library again: refused without initialising it twice. */
    for (i = 0; path[i] && i < 511; i++) wpath[i] = (SEC_WCHAR)path[i];
    wpath[i] = 0;
    CHECK_STATUS(AddSecurityPackageW(wpath, NULL), SEC_E_INVALID_PARAMETER);
    CHECK_STATUS(DeleteSecurityPackageA((SEC_CHAR *)"ToySSP"), SEC_E_UNSUPPORTED_FUNCTION);
    CHECK_STATUS(DeleteSecurityPackageW(wname), SEC_E_UNSUPPORTED_FUNCTION);

    lib = dlopen(path, RTLD_NOW | RTLD_NOLOAD);
    tr = lib ? (toy_trace *)dlsym(lib, "ToySspTrace") : NULL;
    CHECK(tr != NULL, "the sample's trace");
    if (!tr) return;
    CHECK(tr->initializes == 2 && tr->instance_inits == 2, "SpInitialize x%lu, SpInstanceInit x%lu",
          tr->initializes, tr->instance_inits);
    CHECK(tr->package_ids[0] != tr->package_ids[1], "distinct package ids");

    CHECK_STATUS(acquire("ToySSP", SECPKG_CRED_OUTBOUND, "s3cret", &cc), SEC_E_OK);
    CHECK_STATUS(acquire("toyssp", SECPKG_CRED_INBOUND, "s3cret", &sc), SEC_E_OK); /* any case */
    CHECK_STATUS(handshake(&cc, &sc, &c, &s), SEC_E_OK);
    CHECK(tr->mapped == 2, "SpInitUserModeContext ran for both sides (%lu)", tr->mapped);
    message_tests(&c, &s, tr);

    /* A forged handle never reaches the package. */
    forged = c;
    forged.dwLower ^= 0x40;
    CHECK_STATUS(EncryptMessage(&forged, 0, &d, 0), SEC_E_INVALID_HANDLE);

    /* Wrong shared secret: the package's STATUS_LOGON_FAILURE becomes SEC_E_LOGON_DENIED. */
    CHECK_STATUS(acquire("ToySSP-Alt", SECPKG_CRED_INBOUND, "other", &bad), SEC_E_OK);
    CHECK_STATUS(handshake(&cc, &bad, &c2, &s2), SEC_E_LOGON_DENIED);
    DeleteSecurityContext(&c2);
    DeleteSecurityContext(&s2);

    /* DeleteSecurityContext → SpDeleteUserModeContext + SpDeleteContext. */
    deleted_user = tr->user_contexts_deleted, deleted_lsa = tr->lsa_contexts_deleted;
    CHECK_STATUS(DeleteSecurityContext(&c), SEC_E_OK);
    CHECK(tr->user_contexts_deleted == deleted_user + 1 && tr->lsa_contexts_deleted == deleted_lsa + 1,
          "delete reached the package");
    CHECK_STATUS(EncryptMessage(&c, 0, &d, 0), SEC_E_INVALID_HANDLE);
    CHECK_STATUS(DeleteSecurityContext(&c), SEC_E_INVALID_HANDLE);
    CHECK_STATUS(DeleteSecurityContext(&s), SEC_E_OK);
    /* FreeCredentialsHandle → SpFreeCredentialsHandle. */
    freed = tr->credentials_freed;
    CHECK_STATUS(FreeCredentialsHandle(&cc), SEC_E_OK);
    CHECK_STATUS(FreeCredentialsHandle(&sc), SEC_E_OK);
    CHECK_STATUS(FreeCredentialsHandle(&bad), SEC_E_OK);
    CHECK(tr->credentials_freed == freed + 3, "SpFreeCredentialsHandle x%lu", tr->credentials_freed - freed);
    CHECK_STATUS(FreeCredentialsHandle(&cc), SEC_E_INVALID_HANDLE);
}

static int log_mentions(const char *log, const char *what) {
    char line[1024];
    int found = 0;
    FILE *f = fopen(log, "r");
    if (!f) return 0;
    while (fgets(line, sizeof line, f)) found |= strstr(line, what) != NULL;
    fclose(f);
    return found;
}

static void bad_tests(const char *dir, const char *log) {
    static const struct {
        const char *file;
        SECURITY_STATUS want;
        const char *says;
    } cases[] = {
        {"missing.so", SEC_E_SECPKG_NOT_FOUND, "dlopen failed"},
        {"bad_no_entry.so", SEC_E_SECPKG_NOT_FOUND, "no SpLsaModeInitialize"},
        {"bad_lsa_init.so", SEC_E_INSUFFICIENT_MEMORY, "SpLsaModeInitialize failed"},
        {"bad_sp_init.so", (SECURITY_STATUS)0xC0000001, "SpInitialize (table 0) failed"},
        {"bad_null_table.so", SEC_E_SECPKG_NOT_FOUND, "returned 1 tables at 0x0"},
        {"bad_old_version.so", SEC_E_SECPKG_NOT_FOUND, "below SECPKG_INTERFACE_VERSION"},
        {"bad_no_getinfo.so", SEC_E_SECPKG_NOT_FOUND, "lacks SpGetInfo"},
        {"bad_dup_name.so", SEC_E_INVALID_PARAMETER, "\"NTLM\" is already registered"},
        {"good_short_table.so", SEC_E_OK, "loaded \"Short\""},
    };
    char path[1024];
    size_t i;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, cases[i].file);
        CHECK_STATUS(AddSecurityPackageA(path, NULL), cases[i].want);
        CHECK(log_mentions(log, cases[i].file) && log_mentions(log, cases[i].says), "log line for %s (\"%s\")",
              cases[i].file, cases[i].says);
    }
    CHECK_STATUS(AddSecurityPackageA(NULL, NULL), SEC_E_INVALID_PARAMETER);
    CHECK_STATUS(AddSecurityPackageA((SEC_CHAR *)"", NULL), SEC_E_INVALID_PARAMETER);
    CHECK(has_package("Short"), "the version-1 table loaded without reading past its end");
    {
        CredHandle h;
        CHECK_STATUS(acquire("Short", SECPKG_CRED_OUTBOUND, "x", &h), SEC_E_OK);
        CHECK_STATUS(FreeCredentialsHandle(&h), SEC_E_OK);
    }
    /* NTLM is untouched by all of this. */
    {
        CredHandle h;
        CHECK_STATUS(acquire("NTLM", SECPKG_CRED_OUTBOUND, "x", &h), SEC_E_OK);
        CHECK_STATUS(FreeCredentialsHandle(&h), SEC_E_OK);
    }
}

int main(int argc, char **argv) {
    if (argc >= 2 && strcmp(argv[1], "env") == 0) {
        /* SECUR32_PACKAGES names a missing file and the sample: the sample loads anyway. */
        CHECK(has_package("ToySSP") && has_package("ToySSP-Alt"), "SECUR32_PACKAGES loaded the sample");
        CHECK(has_package("Kerberos"), "built-in packages listed");
        {
            CredHandle h;
            CHECK_STATUS(acquire("ToySSP", SECPKG_CRED_OUTBOUND, "s", &h), SEC_E_OK);
            CHECK_STATUS(FreeCredentialsHandle(&h), SEC_E_OK);
        }
        if (argc >= 3) CHECK(log_mentions(argv[2], "SECUR32_PACKAGES") && log_mentions(argv[2], "nonexistent"),
                             "the missing file is logged");
        CHECK_SUMMARY("sspap env");
    }
    if (argc < 5) {
        fprintf(stderr, "usage: sspap add TOY.so BADDIR LOG | sspap env [LOG]\n");
        return 2;
    }
    toy_tests(argv[2]);
    bad_tests(argv[3], argv[4]);
    CHECK_SUMMARY("sspap");
}
