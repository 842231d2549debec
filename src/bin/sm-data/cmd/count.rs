//! `sm-data count FILE`: prints the number of records.

use crate::args::FileArgs;

/// Counts and prints.
pub fn run(args: FileArgs) -> anyhow::Result<()> {
    let opts = args.read.options()?;
    let input = sm_data::store::Input::open(&args.input)?;
    let (_, n) = sm_data::inspect::count(input, &opts)?;
    println!("{n}");
    Ok(())
}
