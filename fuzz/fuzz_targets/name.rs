//! The file-name parser: a name it accepts has the version it says, written
//! at its start; a name it refuses gets a message.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|name: &str| {
    match migrate_core::parse_file_name(name) {
        Ok(parsed) => {
            // refinery's `V`/`U` comes before the version.
            let version_at = match parsed.naming {
                migrate_core::Naming::RefineryVersioned | migrate_core::Naming::RefineryUnversioned => 1,
                _ => 0,
            };
            assert!(name[version_at..].starts_with(&parsed.digits), "{name:?} does not start with {:?}", parsed.digits);
            assert_eq!(parsed.digits.parse::<u64>().ok(), Some(parsed.version.0));
            assert!(!parsed.name.is_empty(), "{name:?} has no name");
        }
        Err(kind) => assert!(!kind.to_string().is_empty(), "an empty message for {name:?}"),
    }
});
