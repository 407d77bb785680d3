/* Broken SSP/AP plug-ins for c-tests/sspap.c, one per -DBAD_* (c-tests/sspap-test.sh):
 *   BAD_NO_ENTRY      exports neither SpLsaModeInitialize nor SpUserModeInitialize
 *   BAD_LSA_INIT      SpLsaModeInitialize fails with STATUS_INSUFFICIENT_RESOURCES
 *   BAD_SP_INIT       SpInitialize fails with STATUS_UNSUCCESSFUL
 *   BAD_NULL_TABLE    SpLsaModeInitialize succeeds with a NULL table
 *   BAD_OLD_VERSION   PackageVersion 0 (below SECPKG_INTERFACE_VERSION)
 *   BAD_NO_GETINFO    a table without SpGetInfo
 *   BAD_DUP_NAME      a package calling itself "NTLM"
 *   GOOD_SHORT_TABLE  a valid SECPKG_INTERFACE_VERSION table of 27 entries ending right before
 *                     an inaccessible page: loading it proves the loader reads no further. */
#define _GNU_SOURCE
#define SECURITY_WIN32
#include "security.h"
#include "ntsecpkg.h"
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define EXPORT __attribute__((visibility("default")))

#ifdef BAD_NO_ENTRY
EXPORT int NotAPackage(void);
EXPORT int NotAPackage(void) { return 42; }
#else

static NTSTATUS SEC_ENTRY Init(ULONG_PTR id, PSECPKG_PARAMETERS p, PLSA_SECPKG_FUNCTION_TABLE t) {
    (void)id, (void)p, (void)t;
#ifdef BAD_SP_INIT
    return (NTSTATUS)0xC0000001L;
#else
    return 0;
#endif
}

static NTSTATUS SEC_ENTRY GetInfo(PSecPkgInfoW info) {
#ifdef BAD_DUP_NAME
    static SEC_WCHAR name[] = {'N', 'T', 'L', 'M', 0};
#else
    static SEC_WCHAR name[] = {'S', 'h', 'o', 'r', 't', 0};
#endif
    memset(info, 0, sizeof *info);
    info->Name = name;
    info->cbMaxToken = 16;
    return 0;
}

static NTSTATUS SEC_ENTRY Acquire(PUNICODE_STRING a, ULONG b, PLUID c, PVOID d, PVOID e, PVOID f,
                                  PLSA_SEC_HANDLE h, PTimeStamp t) {
    (void)a, (void)b, (void)c, (void)d, (void)e, (void)f, (void)t;
    *h = 1;
    return 0;
}

static SECPKG_FUNCTION_TABLE table;

EXPORT NTSTATUS SEC_ENTRY SpLsaModeInitialize(ULONG LsaVersion, PULONG PackageVersion,
                                              PSECPKG_FUNCTION_TABLE *ppTables, PULONG pcTables) {
    (void)LsaVersion;
#ifdef BAD_LSA_INIT
    (void)PackageVersion, (void)ppTables, (void)pcTables;
    return (NTSTATUS)0xC000009AL;
#endif
    table.Initialize = Init;
    table.GetInfo = GetInfo;
    table.AcquireCredentialsHandle = Acquire;
#ifdef BAD_NO_GETINFO
    table.GetInfo = NULL;
#endif
    *PackageVersion = SECPKG_INTERFACE_VERSION_3;
    *ppTables = &table;
    *pcTables = 1;
#ifdef BAD_NULL_TABLE
    *ppTables = NULL;
#endif
#ifdef BAD_OLD_VERSION
    *PackageVersion = 0;
#endif
#ifdef GOOD_SHORT_TABLE
    {
        /* 27 entries (SECPKG_INTERFACE_VERSION: up to SetExtendedInformation), then a page
           nobody may read. */
        long page = sysconf(_SC_PAGESIZE);
        size_t n = offsetof(SECPKG_FUNCTION_TABLE, SetContextAttributes);
        char *m = mmap(NULL, 2 * (size_t)page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (m == MAP_FAILED) return (NTSTATUS)0xC000009AL;
        memcpy(m + page - n, &table, n);
        mprotect(m + page, (size_t)page, PROT_NONE);
        *ppTables = (PSECPKG_FUNCTION_TABLE)(void *)(m + page - n);
        *PackageVersion = SECPKG_INTERFACE_VERSION;
    }
#endif
    return 0;
}
#endif
