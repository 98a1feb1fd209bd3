//! `keyfence install` / `uninstall`: write the hook shims from `hooks/` into
//! the hooks directory git really uses, chaining any existing hook.

use anyhow::Result;

use crate::cli::InstallArgs;

pub fn install(_args: &InstallArgs) -> Result<i32> {
    anyhow::bail!("install is not implemented yet")
}

pub fn uninstall(_args: &InstallArgs) -> Result<i32> {
    anyhow::bail!("uninstall is not implemented yet")
}
