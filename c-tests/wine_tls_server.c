/* examples/tls_echo_server.c with its key in a CryptoAPI key container instead of a PFX: the
   certificate is created with CertCreateCertificateContext, the RSA key imported with
   CryptImportKey (an exportable PRIVATEKEYBLOB, as `openssl rsa -outform MSBLOB` writes it)
   and tied to the certificate with CERT_KEY_PROV_INFO_PROP_ID, as Windows programs do without
   a PFX. Schannel then finds the key through that property (CryptAcquireCertificatePrivateKey).
   c-tests/wine-test.sh runs it under Wine, whose PFXImportCertStore mangles RSA keys.
   Usage: wine_tls_server PORT CERT.der KEY.msblob */
#define main tls_echo_server_main
#include "../examples/tls_echo_server.c"
#undef main

static DWORD read_file(const char *path, BYTE *buf, DWORD cap) {
  FILE *f = fopen(path, "rb");
  if (!f) return 0;
  DWORD n = (DWORD)fread(buf, 1, cap, f);
  fclose(f);
  return n;
}

int main(int argc, char **argv) {
  static BYTE der[16384], blob[8192];
  static WCHAR container[] = L"secur32-wine-test";
  if (argc != 4) {
    fprintf(stderr, "usage: %s PORT CERT.der KEY.msblob\n", argv[0]);
    return 2;
  }
  WSADATA wsa;
  if (WSAStartup(MAKEWORD(2, 2), &wsa) != 0) return 1;
  DWORD nd = read_file(argv[2], der, sizeof der), nb = read_file(argv[3], blob, sizeof blob);
  PCCERT_CONTEXT cert = CertCreateCertificateContext(X509_ASN_ENCODING, der, nd);
  if (!cert) {
    fprintf(stderr, "CertCreateCertificateContext: 0x%08lx\n", (unsigned long)GetLastError());
    return 1;
  }
  HCRYPTPROV prov;
  CryptAcquireContextW(&prov, container, MS_ENHANCED_PROV_W, PROV_RSA_FULL, CRYPT_DELETEKEYSET);
  if (!CryptAcquireContextW(&prov, container, MS_ENHANCED_PROV_W, PROV_RSA_FULL, CRYPT_NEWKEYSET)) {
    fprintf(stderr, "CryptAcquireContextW: 0x%08lx\n", (unsigned long)GetLastError());
    return 1;
  }
  HCRYPTKEY key;
  if (!CryptImportKey(prov, blob, nb, 0, CRYPT_EXPORTABLE, &key)) {
    fprintf(stderr, "CryptImportKey: 0x%08lx\n", (unsigned long)GetLastError());
    return 1;
  }
  CryptDestroyKey(key);
  CryptReleaseContext(prov, 0);
  CRYPT_KEY_PROV_INFO info;
  memset(&info, 0, sizeof info);
  info.pwszContainerName = container;
  info.pwszProvName = (LPWSTR)MS_ENHANCED_PROV_W;
  info.dwProvType = PROV_RSA_FULL;
  info.dwKeySpec = AT_KEYEXCHANGE;
  if (!CertSetCertificateContextProperty(cert, CERT_KEY_PROV_INFO_PROP_ID, 0, &info)) {
    fprintf(stderr, "CertSetCertificateContextProperty: 0x%08lx\n", (unsigned long)GetLastError());
    return 1;
  }
  int rc = serve_one((unsigned short)atoi(argv[1]), cert);
  CertFreeCertificateContext(cert);
  return rc;
}
