/* Stand-in for bcryptprimitives.dll on Wine releases that lack it (Debian's Wine 8.0).
   Rust's standard library for *-pc-windows-gnu imports ProcessPrng from bcryptprimitives.dll
   (present on Windows 10 and later), so secur32.dll does not load without it. This DLL exports
   ProcessPrng over advapi32's RtlGenRandom (SystemFunction036). It is for Wine only: never
   deploy it on Windows, whose own bcryptprimitives.dll is the real one.
   Build: x86_64-w64-mingw32-gcc -shared -o bcryptprimitives.dll bcryptprimitives.c -ladvapi32
   (i686: add -Wl,--kill-at; scripts/build-windows.sh does it). */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) {
  while (len > 0) {
    ULONG n = len > 0x10000000 ? 0x10000000 : (ULONG)len;
    if (!SystemFunction036(data, n)) return FALSE;
    data += n;
    len -= n;
  }
  return TRUE;
}
