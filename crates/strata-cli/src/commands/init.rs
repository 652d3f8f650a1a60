use crate::error::{io_err, CliError};
use crate::output::Printer;
use std::path::Path;

pub fn run(dir: &Path, printer: &Printer) -> Result<(), CliError> {
    let config = dir.join("strata.toml");
    if config.exists() {
        return Err(CliError::invalid_with_hint(
            format!("{} already exists; nothing was changed", config.display()),
            "edit it, or run `strata init` in another folder",
        ));
    }
    for sub in ["migrations", "schema"] {
        let path = dir.join(sub);
        std::fs::create_dir_all(&path)
            .map_err(io_err(format!("cannot create {}", path.display())))?;
    }
    std::fs::write(&config, strata_files::CONFIG_TEMPLATE)
        .map_err(io_err(format!("cannot write {}", config.display())))?;
    printer.line(&format!("created {}", config.display()));
    printer.line(&format!(
        "created {}/ and {}/",
        dir.join("migrations").display(),
        dir.join("schema").display()
    ));
    printer.line("next: strata revision -m \"create users\"");
    Ok(())
}
