/* Adds a DER certificate to the current user's ROOT system store through crypt32 (Wine's,
   when run by c-tests/wine-test.sh), so that a test CA becomes a trusted root for Schannel
   clients that validate against the system ROOT store.
   Usage: wine_addroot CA.der */
#include <windows.h>
#include <wincrypt.h>
#include <stdio.h>

int main(int argc, char **argv) {
  static BYTE der[65536];
  if (argc != 2) {
    fprintf(stderr, "usage: wine_addroot CA.der\n");
    return 2;
  }
  FILE *f = fopen(argv[1], "rb");
  if (!f) return 1;
  DWORD n = (DWORD)fread(der, 1, sizeof der, f);
  fclose(f);
  HCERTSTORE root = CertOpenSystemStoreA(0, "ROOT");
  if (!root) {
    printf("ERROR CertOpenSystemStoreA 0x%08lX\n", (unsigned long)GetLastError());
    return 1;
  }
  if (!CertAddEncodedCertificateToStore(root, X509_ASN_ENCODING, der, n, CERT_STORE_ADD_REPLACE_EXISTING, NULL)) {
    printf("ERROR CertAddEncodedCertificateToStore 0x%08lX\n", (unsigned long)GetLastError());
    return 1;
  }
  CertCloseStore(root, 0);
  printf("ROOT += %s\n", argv[1]);
  return 0;
}
