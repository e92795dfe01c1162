//! `WinHttpQueryConnectionGroup` and `WinHttpFreeQueryConnectionGroupResult`: the connections the
//! process-wide pool holds to the host of a request or connect handle.
//!
//! The result is one allocation: the `WINHTTP_QUERY_CONNECTION_GROUP_RESULT`, then its one
//! `WINHTTP_HOST_CONNECTION_GROUP`, then the `WINHTTP_CONNECTION_GROUP` array, then the host name
//! (wide, terminated); every pointer points inside the block, which
//! `WinHttpFreeQueryConnectionGroupResult` frees at once.
//!
//! Groups: connections are not marked with group GUIDs here (`WINHTTP_OPTION_MATCH_CONNECTION_GUID`
//! is not implemented), so without `pGuidConnection` every open connection to the host (in use or
//! idle) is in one group whose `guidGroup` is GUID_NULL; with it, the group is that one connection
//! (`WINHTTP_OPTION_CONNECTION_GUID`) when it is open, and there is no group otherwise.

use super::*;
use crate::engine::api::{handles, options};
use core::mem::{align_of, size_of};

/// Lists the connections to the host of `hInternet` (a request handle, or a connect handle whose
/// host is taken as HTTPS unless `WINHTTP_QUERY_CONNECTION_GROUP_FLAG_INSECURE`). Returns the error
/// code; on success `*ppResult` is freed with `WinHttpFreeQueryConnectionGroupResult`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WinHttpQueryConnectionGroup(
    hInternet: HINTERNET,
    pGuidConnection: *const GUID,
    ullFlags: ULONGLONG,
    ppResult: *mut PWINHTTP_QUERY_CONNECTION_GROUP_RESULT,
) -> DWORD {
    // SAFETY: the caller's arguments, passed on.
    unsafe { WinHttpQueryConnectionGroup_of::<WCHAR>(hInternet, pGuidConnection, ullFlags, ppResult) }
}

/// [`WinHttpQueryConnectionGroup`] with the host name in units of `C` (the result's layout is the
/// same in both widths: `pwszHost` points at units of `C`).
pub(crate) unsafe fn WinHttpQueryConnectionGroup_of<C: CodeUnit>(
    hInternet: HINTERNET,
    pGuidConnection: *const GUID,
    ullFlags: ULONGLONG,
    ppResult: *mut PWINHTTP_QUERY_CONNECTION_GROUP_RESULT,
) -> DWORD {
    dword_api(|| {
        check(ppResult.is_null())?;
        // SAFETY: a writable pointer, by the API's contract; NULL until there is a result.
        unsafe { ppResult.write_unaligned(core::ptr::null_mut()) };
        check(ullFlags & !WINHTTP_QUERY_CONNECTION_GROUP_FLAG_INSECURE != 0)?;
        let object = handles::get(hInternet)?;
        let insecure = ullFlags & WINHTTP_QUERY_CONNECTION_GROUP_FLAG_INSECURE != 0;
        let group = options::connection_group(&object, insecure)?;
        let groups: Vec<WINHTTP_CONNECTION_GROUP> = if pGuidConnection.is_null() {
            match group.open {
                0 => Vec::new(),
                n => vec![WINHTTP_CONNECTION_GROUP {
                    cConnections: ULONG::try_from(n).unwrap_or(ULONG::MAX),
                    guidGroup: GUID::default(),
                }],
            }
        } else {
            // SAFETY: a readable GUID, by the API's contract.
            let wanted = unsafe { pGuidConnection.read_unaligned() };
            group
                .guids
                .iter()
                .map(|g| super::options::guid(*g))
                .filter(|g| *g == wanted)
                .take(1)
                .map(|g| WINHTTP_CONNECTION_GROUP { cConnections: 1, guidGroup: g })
                .collect()
        };
        let block = build::<C>(&group.host, &groups)?;
        // SAFETY: as above.
        unsafe { ppResult.write_unaligned(block) };
        Ok(())
    })
}

/// Frees a result of `WinHttpQueryConnectionGroup` (NULL is fine).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WinHttpFreeQueryConnectionGroupResult(pResult: *mut WINHTTP_QUERY_CONNECTION_GROUP_RESULT) {
    // SAFETY: NULL or the one block `build` allocated with malloc, by the API's contract.
    unsafe { libc::free(pResult.cast()) }
}

/// Offsets inside the block: host entry, groups, host name, total size.
fn layout<C: CodeUnit>(groups: usize, host_units: usize) -> (usize, usize, usize, usize) {
    let host_at = size_of::<WINHTTP_QUERY_CONNECTION_GROUP_RESULT>();
    let groups_at = (host_at + size_of::<WINHTTP_HOST_CONNECTION_GROUP>()).next_multiple_of(align_of::<GUID>());
    let name_at = (groups_at + groups * size_of::<WINHTTP_CONNECTION_GROUP>()).next_multiple_of(align_of::<C>());
    let total = name_at + (host_units + 1) * size_of::<C>();
    (host_at, groups_at, name_at, total)
}

/// The result in one `malloc` block.
fn build<C: CodeUnit>(
    host: &str,
    groups: &[WINHTTP_CONNECTION_GROUP],
) -> ApiResult<PWINHTTP_QUERY_CONNECTION_GROUP_RESULT> {
    let name: Vec<C> = crate::proto::wide::encode(host);
    let (host_at, groups_at, name_at, total) = layout::<C>(groups.len(), name.len());
    // SAFETY: plain allocation (malloc aligns for every type here); checked for NULL.
    let base = unsafe { libc::calloc(1, total) }.cast::<u8>();
    if base.is_null() {
        return Err(ERROR_NOT_ENOUGH_MEMORY);
    }
    // SAFETY: every write below is inside the `total` bytes and aligned per `layout`.
    unsafe {
        let result = base.cast::<WINHTTP_QUERY_CONNECTION_GROUP_RESULT>();
        let entry = base.add(host_at).cast::<WINHTTP_HOST_CONNECTION_GROUP>();
        let array = base.add(groups_at).cast::<WINHTTP_CONNECTION_GROUP>();
        let text = base.add(name_at).cast::<C>();
        core::ptr::copy_nonoverlapping(groups.as_ptr(), array, groups.len());
        core::ptr::copy_nonoverlapping(name.as_ptr(), text, name.len());
        text.add(name.len()).write(C::from_u32(0));
        entry.write(WINHTTP_HOST_CONNECTION_GROUP {
            // The structure names the member `WCHAR *`; its units are `C` (UTF-16 for the twin).
            pwszHost: text.cast(),
            cConnectionGroups: groups.len() as ULONG,
            pConnectionGroups: if groups.is_empty() { core::ptr::null_mut() } else { array },
        });
        result.write(WINHTTP_QUERY_CONNECTION_GROUP_RESULT { cHosts: 1, pHostConnectionGroups: entry });
        Ok(result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_block_with_aligned_parts() {
        let (host_at, groups_at, name_at, total) = layout::<WCHAR>(2, 9);
        assert_eq!((host_at, groups_at), (16, 40));
        assert_eq!(name_at, 80);
        assert_eq!(total, 80 + 10 * size_of::<WCHAR>());
        let g = [WINHTTP_CONNECTION_GROUP { cConnections: 3, guidGroup: GUID::default() }];
        let r = build::<WCHAR>("localhost", &g).unwrap();
        // SAFETY: the block just built; freed below.
        unsafe {
            assert_eq!((*r).cHosts, 1);
            let h = &*(*r).pHostConnectionGroups;
            assert_eq!(h.cConnectionGroups, 1);
            assert_eq!((*h.pConnectionGroups).cConnections, 3);
            assert_eq!(*h.pwszHost, 'l' as WCHAR);
            assert_eq!(*h.pwszHost.add(9), 0);
            WinHttpFreeQueryConnectionGroupResult(r);
        }
    }
}
