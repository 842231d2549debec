//! Container config readers (`sm_data::pipe::config`). Selector bits
//! 0-1 choose the reader:
//! - 0: `parse_input_data_config`; a config that parses serializes (as
//!   `write_config` does, pretty JSON) and parses to the same value (with
//!   `ShuffleConfig` dropped: it is read, never written);
//! - 1: `parse_resource_config`; the same round trip, exactly;
//!   `host_position` finds `current_host` exactly when `hosts` lists it;
//! - 2, 3: `parse_sources` (relative paths resolved against `/base`), then
//!   `resolve_channels` with flags from bits 2-4 and, for 3, an
//!   `inputdataconfig.json` given after a NUL byte: every channel fed has
//!   a valid name, Pipe mode, a source listed in the file, the flags
//!   applied; a Pipe channel of the config left without a source is an
//!   error.
//!
//! Errors never panic; JSON syntax errors name the file and a line.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use sm_data::Error;
use sm_data::pipe::config::{
    ChannelOverrides, InputDataConfig, InputMode, RecordWrapper, check_channel_name,
    parse_input_data_config, parse_resource_config, parse_sources, resolve_channels,
};
use sm_data_fuzz::split_first;

fn check_error(e: &Error, name: &str) {
    let p = e.position();
    if !e.is_config() {
        assert_eq!(p.file.as_deref(), Some(name), "{e}");
        assert!(p.line.is_some(), "{e}");
    } else {
        assert!(e.to_string().contains(name), "{e}");
    }
}

fn input_data(bytes: &[u8]) -> Option<InputDataConfig> {
    match parse_input_data_config(bytes, "idc.json") {
        Ok(c) => {
            let text = serde_json::to_vec_pretty(&c).unwrap();
            let back = parse_input_data_config(&text, "again.json")
                .unwrap_or_else(|e| panic!("a written config does not parse: {e}"));
            let mut want = c.clone();
            for v in want.values_mut() {
                v.shuffle = None;
            }
            assert_eq!(back, want, "round trip");
            Some(c)
        }
        Err(e) => {
            check_error(&e, "idc.json");
            None
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let (sel, body) = split_first(data);
    match sel & 3 {
        0 => {
            input_data(body);
        }
        1 => match parse_resource_config(body, "rc.json") {
            Ok(r) => {
                let text = serde_json::to_vec_pretty(&r).unwrap();
                let back = parse_resource_config(&text, "again.json")
                    .unwrap_or_else(|e| panic!("a written config does not parse: {e}"));
                assert_eq!(back, r, "round trip");
                match r.host_position() {
                    Ok((i, n)) => {
                        assert_eq!(n, r.hosts.len());
                        assert_eq!(r.hosts[i], r.current_host);
                    }
                    Err(_) => assert!(!r.hosts.contains(&r.current_host)),
                }
            }
            Err(e) => check_error(&e, "rc.json"),
        },
        mode => {
            let (src, idc) = match (mode, body.iter().position(|&b| b == 0)) {
                (3, Some(i)) => (&body[..i], input_data(&body[i + 1..])),
                _ => (body, None),
            };
            let sources = match parse_sources(src, "sources.json", Path::new("/base")) {
                Ok(s) => s,
                Err(e) => {
                    check_error(&e, "sources.json");
                    return;
                }
            };
            for (_, s, _) in &sources {
                assert!(
                    s.uri.contains("://") || Path::new(&s.uri).is_absolute(),
                    "unresolved {:?}",
                    s.uri
                );
            }
            let flags = ChannelOverrides {
                input_mode: (sel & 4 != 0).then_some(InputMode::Pipe),
                record_wrapper: (sel & 8 != 0).then_some(RecordWrapper::RecordIO),
                shuffle_seed: (sel & 16 != 0).then_some(sel as i64),
                ..ChannelOverrides::default()
            };
            match resolve_channels(idc.as_ref(), sources.clone(), &flags) {
                Ok((channels, _notes)) => {
                    let mut k = 0;
                    for c in &channels {
                        check_channel_name(&c.name).unwrap();
                        assert_eq!(c.config.input_mode, InputMode::Pipe);
                        if flags.record_wrapper.is_some() {
                            assert_eq!(c.config.record_wrapper, RecordWrapper::RecordIO);
                        }
                        if let Some(s) = flags.shuffle_seed {
                            assert_eq!(c.config.shuffle.map(|x| x.seed), Some(s));
                        }
                        // Channels come in source order.
                        while sources[k].0 != c.name || sources[k].1 != c.source {
                            k += 1;
                        }
                        k += 1;
                    }
                    if let Some(idc) = &idc {
                        for (name, c) in idc {
                            if c.input_mode == InputMode::Pipe {
                                assert!(channels.iter().any(|ch| ch.name == *name));
                            }
                        }
                    }
                }
                Err(e) => assert!(e.is_config(), "{e}"),
            }
        }
    }
});
