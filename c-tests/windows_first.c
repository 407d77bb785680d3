/* Compiled by c-tests/header-check.sh: Windows code that includes the platform's windows.h
   (mingw-w64's, or Wine's; -DWITH_WINDOWS_H) before our headers, or none, and uses Windows'
   base types (WCHAR, CHAR, BYTE/PBYTE, LPVOID, LPSTR, HANDLE, the TCHAR family) with them. */
#ifdef WITH_WINDOWS_H
#include <windows.h>
#endif
#define SECURITY_WIN32
#include "security.h"
#include "schannel.h"
#include "wincrypt.h"
#include "ntsecapi.h"
#include <string.h>

int use_types(void);
int use_types(void) {
    WCHAR wpass[128] = {0};
    CHAR narrow[8] = {0};
    BYTE b = 0;
    PBYTE pb = &b;
    LPVOID pv = pb;
    LPSTR ps = narrow;
    HANDLE h = NULL;
    TCHAR t[4] = {0};
    LPTSTR pt = t;
    CRYPT_DATA_BLOB blob;
    HCERTSTORE store;
    CredHandle cred;
    TimeStamp ts;
    SCHANNEL_CRED sc;
    ULONG n = 8;
    blob.cbData = 0;
    blob.pbData = NULL;
    store = PFXImportCertStore(&blob, wpass, 0);
    memset(&sc, 0, sizeof sc);
    sc.dwVersion = SCHANNEL_CRED_VERSION;
    sc.grbitEnabledProtocols = SP_PROT_TLS1_2_CLIENT | SP_PROT_SSL3;
    (void)AcquireCredentialsHandle(NULL, (LPTSTR)UNISP_NAME, SECPKG_CRED_OUTBOUND, NULL, &sc, NULL, NULL, &cred, &ts);
    (void)GetUserNameEx(NameSamCompatible, pt, &n);
    (void)LsaConnectUntrusted(&h);
    (void)pv; (void)ps; (void)store;
    return (int)b;
}
