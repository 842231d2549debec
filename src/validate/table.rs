//! The built-in algorithms, the content types each accepts for training, and
//! the rules that apply to each (algorithm, input kind) pair (spec §7, §8).
//!
//! Adding a format is one [`InputKind`] variant, its content types in
//! [`InputKind::from_content_type`], a line in the `accepts` table of each
//! algorithm that reads it, and a checker in `validate::run_file`.

use std::fmt;
use std::str::FromStr;

use crate::batch::Dtype;
use crate::error::{Error, Result};
use crate::format::Format;

/// A SageMaker built-in algorithm, or `generic` (format checks only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Algorithm {
    /// Format checks only, no algorithm rules.
    Generic,
    /// XGBoost (the 1P container, spec §8).
    Xgboost,
    /// Linear Learner.
    LinearLearner,
    /// Factorization Machines.
    FactorizationMachines,
    /// k-nearest neighbours.
    Knn,
    /// k-means.
    Kmeans,
    /// Principal component analysis.
    Pca,
    /// Random Cut Forest.
    Rcf,
    /// Latent Dirichlet Allocation.
    Lda,
    /// Neural Topic Model.
    Ntm,
    /// IP Insights.
    IpInsights,
    /// DeepAR forecasting.
    Deepar,
    /// Object2Vec.
    Object2vec,
    /// BlazingText.
    Blazingtext,
    /// Sequence-to-sequence.
    Seq2seq,
}

impl Algorithm {
    /// Every algorithm, in the order help texts list them.
    pub const ALL: [Algorithm; 15] = [
        Algorithm::Xgboost,
        Algorithm::LinearLearner,
        Algorithm::FactorizationMachines,
        Algorithm::Knn,
        Algorithm::Kmeans,
        Algorithm::Pca,
        Algorithm::Rcf,
        Algorithm::Lda,
        Algorithm::Ntm,
        Algorithm::IpInsights,
        Algorithm::Deepar,
        Algorithm::Object2vec,
        Algorithm::Blazingtext,
        Algorithm::Seq2seq,
        Algorithm::Generic,
    ];

    /// The name used on the command line (`linear-learner`).
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Generic => "generic",
            Algorithm::Xgboost => "xgboost",
            Algorithm::LinearLearner => "linear-learner",
            Algorithm::FactorizationMachines => "factorization-machines",
            Algorithm::Knn => "knn",
            Algorithm::Kmeans => "kmeans",
            Algorithm::Pca => "pca",
            Algorithm::Rcf => "rcf",
            Algorithm::Lda => "lda",
            Algorithm::Ntm => "ntm",
            Algorithm::IpInsights => "ip-insights",
            Algorithm::Deepar => "deepar",
            Algorithm::Object2vec => "object2vec",
            Algorithm::Blazingtext => "blazingtext",
            Algorithm::Seq2seq => "seq2seq",
        }
    }

    /// The name users read (`Linear Learner`).
    pub fn title(self) -> &'static str {
        match self {
            Algorithm::Generic => "generic checks",
            Algorithm::Xgboost => "XGBoost",
            Algorithm::LinearLearner => "Linear Learner",
            Algorithm::FactorizationMachines => "Factorization Machines",
            Algorithm::Knn => "k-NN",
            Algorithm::Kmeans => "k-means",
            Algorithm::Pca => "PCA",
            Algorithm::Rcf => "Random Cut Forest",
            Algorithm::Lda => "LDA",
            Algorithm::Ntm => "NTM",
            Algorithm::IpInsights => "IP Insights",
            Algorithm::Deepar => "DeepAR",
            Algorithm::Object2vec => "Object2Vec",
            Algorithm::Blazingtext => "BlazingText",
            Algorithm::Seq2seq => "Seq2Seq",
        }
    }

    /// The input kinds this algorithm trains on, with the rules for each
    /// (empty for [`Algorithm::Generic`], which accepts everything).
    pub fn accepts(self) -> &'static [Accepts] {
        use InputKind::*;
        const SUPERVISED: Rules = Rules::DEFAULT;
        const UNSUPERVISED: Rules = Rules {
            label: LabelRule::Ignored,
            ..Rules::DEFAULT
        };
        const XGB: Rules = Rules {
            xgboost: true,
            ..Rules::DEFAULT
        };
        const F32: Rules = Rules {
            dtype: Some(Dtype::Float32),
            ..Rules::DEFAULT
        };
        const COUNTS: Rules = Rules {
            label: LabelRule::Ignored,
            counts: true,
            ..Rules::DEFAULT
        };
        match self {
            Algorithm::Generic => &[],
            // spec §7, §8.1: libsvm is XGBoost's default content type.
            Algorithm::Xgboost => &[
                Accepts {
                    kind: Libsvm,
                    rules: XGB,
                },
                Accepts {
                    kind: Csv,
                    rules: XGB,
                },
                Accepts {
                    kind: RecordioProtobuf,
                    rules: XGB,
                },
                Accepts {
                    kind: Parquet,
                    rules: XGB,
                },
            ],
            Algorithm::LinearLearner => &[
                Accepts {
                    kind: RecordioProtobuf,
                    rules: F32,
                },
                Accepts {
                    kind: Csv,
                    rules: SUPERVISED,
                },
            ],
            Algorithm::FactorizationMachines => &[Accepts {
                kind: RecordioProtobuf,
                rules: F32,
            }],
            Algorithm::Knn => &[
                Accepts {
                    kind: RecordioProtobuf,
                    rules: SUPERVISED,
                },
                Accepts {
                    kind: Csv,
                    rules: SUPERVISED,
                },
            ],
            Algorithm::Kmeans | Algorithm::Pca | Algorithm::Rcf => &[
                Accepts {
                    kind: RecordioProtobuf,
                    rules: UNSUPERVISED,
                },
                Accepts {
                    kind: Csv,
                    rules: UNSUPERVISED,
                },
            ],
            Algorithm::Lda | Algorithm::Ntm => &[
                Accepts {
                    kind: RecordioProtobuf,
                    rules: COUNTS,
                },
                Accepts {
                    kind: Csv,
                    rules: COUNTS,
                },
            ],
            Algorithm::IpInsights => &[Accepts {
                kind: Csv,
                rules: Rules {
                    schema: Schema::IpInsights,
                    label: LabelRule::Ignored,
                    ..Rules::DEFAULT
                },
            }],
            Algorithm::Deepar => &[
                Accepts {
                    kind: JsonLines,
                    rules: Rules {
                        schema: Schema::Deepar,
                        label: LabelRule::Ignored,
                        skips_hidden: true,
                        ..Rules::DEFAULT
                    },
                },
                Accepts {
                    kind: Parquet,
                    rules: Rules {
                        schema: Schema::Deepar,
                        label: LabelRule::Ignored,
                        skips_hidden: true,
                        ..Rules::DEFAULT
                    },
                },
            ],
            Algorithm::Object2vec => &[Accepts {
                kind: JsonLines,
                rules: Rules {
                    schema: Schema::Object2vec,
                    ..Rules::DEFAULT
                },
            }],
            Algorithm::Blazingtext => &[
                Accepts {
                    kind: Text,
                    rules: Rules {
                        schema: Schema::BlazingtextText,
                        label: LabelRule::Ignored,
                        ..Rules::DEFAULT
                    },
                },
                Accepts {
                    kind: JsonLines,
                    rules: Rules {
                        schema: Schema::BlazingtextManifest,
                        label: LabelRule::Ignored,
                        ..Rules::DEFAULT
                    },
                },
            ],
            Algorithm::Seq2seq => &[Accepts {
                kind: RecordioProtobuf,
                rules: Rules {
                    schema: Schema::Seq2seq,
                    label: LabelRule::Ignored,
                    dtype: Some(Dtype::Int32),
                    ..Rules::DEFAULT
                },
            }],
        }
    }

    /// The rules for `kind`, or `None` when the algorithm does not train
    /// on it. [`Algorithm::Generic`] accepts every kind with format rules
    /// only.
    pub fn rules_for(self, kind: InputKind) -> Option<Rules> {
        if self == Algorithm::Generic {
            return Some(Rules::generic(kind));
        }
        self.accepts()
            .iter()
            .find(|a| a.kind == kind)
            .map(|a| a.rules)
    }

    /// The content types accepted for training, for messages.
    pub fn accepted_content_types(self) -> Vec<&'static str> {
        let mut v = Vec::new();
        for a in self.accepts() {
            v.extend_from_slice(a.kind.content_types());
        }
        v
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Algorithm {
    type Err = Error;
    fn from_str(s: &str) -> Result<Algorithm> {
        let norm = s.trim().to_ascii_lowercase().replace('_', "-");
        let alias = match norm.as_str() {
            "linear" | "linearlearner" | "ll" => "linear-learner",
            "fm" | "factorization-machine" | "factorizationmachines" => "factorization-machines",
            "k-means" => "kmeans",
            "k-nn" => "knn",
            "random-cut-forest" | "randomcutforest" => "rcf",
            "ipinsights" => "ip-insights",
            "blazing-text" => "blazingtext",
            "seq-2-seq" | "sequence-to-sequence" => "seq2seq",
            other => other,
        };
        Algorithm::ALL
            .into_iter()
            .find(|a| a.name() == alias)
            .ok_or_else(|| {
                let names: Vec<&str> = Algorithm::ALL.iter().map(|a| a.name()).collect();
                Error::config(format!(
                    "unknown algorithm {s:?}: expected one of {}",
                    names.join(", ")
                ))
            })
    }
}

/// What kind of input a file holds, as far as validation is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum InputKind {
    /// `text/csv`.
    Csv,
    /// `text/libsvm`.
    Libsvm,
    /// `application/x-recordio-protobuf`.
    RecordioProtobuf,
    /// `application/jsonlines`: one JSON object per line
    /// ([`Format::Jsonl`]).
    JsonLines,
    /// `text/plain`: one sentence per line (BlazingText).
    Text,
    /// `application/x-parquet` ([`Format::Parquet`]; checked in builds
    /// with the `parquet` feature).
    Parquet,
}

impl InputKind {
    /// The sm-data format that reads this kind (`text/plain` is read as
    /// lines, as CSV is).
    pub fn format(self) -> Format {
        match self {
            InputKind::Csv | InputKind::Text => Format::Csv,
            InputKind::Libsvm => Format::Libsvm,
            InputKind::RecordioProtobuf => Format::RecordioProtobuf,
            InputKind::JsonLines => Format::Jsonl,
            InputKind::Parquet => Format::Parquet,
        }
    }

    /// The kind a training channel in `format` is validated as, if it is
    /// one SageMaker trains on (`None` for MXNet RecordIO, TFRecord and
    /// single JSON documents).
    pub fn from_format(format: Format) -> Option<InputKind> {
        Some(match format {
            Format::Csv => InputKind::Csv,
            Format::Libsvm => InputKind::Libsvm,
            Format::RecordioProtobuf => InputKind::RecordioProtobuf,
            Format::Jsonl => InputKind::JsonLines,
            Format::Parquet => InputKind::Parquet,
            Format::Recordio | Format::Json | Format::Tfrecord => return None,
        })
    }

    /// The short name.
    pub fn name(self) -> &'static str {
        match self {
            InputKind::Csv => "csv",
            InputKind::Libsvm => "libsvm",
            InputKind::RecordioProtobuf => "recordio-protobuf",
            InputKind::JsonLines => "jsonlines",
            InputKind::Text => "text",
            InputKind::Parquet => "parquet",
        }
    }

    /// Content types that name this kind; the first is canonical.
    pub fn content_types(self) -> &'static [&'static str] {
        match self {
            InputKind::Csv => &["text/csv"],
            InputKind::Libsvm => &["text/libsvm", "text/x-libsvm"],
            InputKind::RecordioProtobuf => &["application/x-recordio-protobuf"],
            InputKind::JsonLines => &["application/jsonlines", "application/json"],
            InputKind::Text => &["text/plain"],
            InputKind::Parquet => &["application/x-parquet"],
        }
    }

    /// The kind a content type (lower case, without parameters) or short
    /// name names.
    pub fn from_content_type(base: &str) -> Option<InputKind> {
        Some(match base {
            "text/csv" | "csv" => InputKind::Csv,
            "text/libsvm" | "text/x-libsvm" | "libsvm" => InputKind::Libsvm,
            "application/x-recordio-protobuf" | "recordio-protobuf" | "protobuf" => {
                InputKind::RecordioProtobuf
            }
            "application/jsonlines"
            | "application/json"
            | "application/x-jsonlines"
            | "jsonlines"
            | "jsonl"
            | "json" => InputKind::JsonLines,
            "text/plain" | "text" => InputKind::Text,
            "application/x-parquet" | "parquet" => InputKind::Parquet,
            _ => return None,
        })
    }

    /// The kind named by a file's extension (a trailing `.gz` ignored).
    pub fn from_path(path: &str) -> Option<InputKind> {
        let name = path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase();
        let name = name.strip_suffix(".gz").unwrap_or(&name);
        let ext = name.rsplit_once('.')?.1;
        Some(match ext {
            "csv" => InputKind::Csv,
            "libsvm" | "svm" | "svmlight" => InputKind::Libsvm,
            "pbr" | "protobuf" | "rec" | "recordio" | "recordio-protobuf" => {
                InputKind::RecordioProtobuf
            }
            "json" | "jsonl" | "jsonlines" => InputKind::JsonLines,
            "txt" | "text" => InputKind::Text,
            "parquet" => InputKind::Parquet,
            _ => return None,
        })
    }
}

impl fmt::Display for InputKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One entry of an algorithm's table: an input kind and its rules.
#[derive(Debug, Clone, Copy)]
pub struct Accepts {
    /// The input kind.
    pub kind: InputKind,
    /// The rules that apply to it.
    pub rules: Rules,
}

/// Whether records must carry a label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LabelRule {
    /// Supervised training: every record has a label (CSV column 0).
    Required,
    /// Unsupervised: labels, if any, are not used. Numeric CSV still has
    /// `label_size` columns of labels first, 1 unless the content type says
    /// otherwise (`text/csv;label_size=0` for all-feature rows), as
    /// SageMaker reads `text/csv`; schemas of their own (IP Insights) have
    /// none.
    Ignored,
}

/// The shape of the records beyond the format itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Schema {
    /// Numbers: label(s) then features.
    Numeric,
    /// IP Insights CSV: `entity_id,ip_address`.
    IpInsights,
    /// DeepAR JSON Lines: `start`, `target`, optional `cat`, `dynamic_feat`.
    Deepar,
    /// Object2Vec JSON Lines: `label`, `in0`, `in1`.
    Object2vec,
    /// BlazingText text: space-separated tokens, `__label__X` prefixes in
    /// supervised mode.
    BlazingtextText,
    /// BlazingText augmented manifest: `{"source": ..., "label": ...}`.
    BlazingtextManifest,
    /// Seq2Seq RecordIO-protobuf: Int32 `source` and `target` token ids.
    Seq2seq,
}

/// The rules checked for one (algorithm, input kind) pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rules {
    /// Whether records need a label.
    pub label: LabelRule,
    /// The tensor type RecordIO-protobuf features must have.
    pub dtype: Option<Dtype>,
    /// Record shape beyond the format.
    pub schema: Schema,
    /// The XGBoost container's own checks (spec §8): hidden files, folder
    /// depth, delimiter sniffing, LibSVM first-line validation, quotes.
    pub xgboost: bool,
    /// Values are word counts (LDA, NTM): non-negative.
    pub counts: bool,
    /// The algorithm skips files named `.*` and `_SUCCESS` (DeepAR).
    pub skips_hidden: bool,
    /// Format checks only (the `generic` algorithm).
    pub generic: bool,
}

impl Rules {
    /// Supervised numeric data with no algorithm-specific rule.
    pub const DEFAULT: Rules = Rules {
        label: LabelRule::Required,
        dtype: None,
        schema: Schema::Numeric,
        xgboost: false,
        counts: false,
        skips_hidden: false,
        generic: false,
    };

    /// Whether the algorithm trains on the labels it is given (supervised,
    /// with algorithm rules): a label that is not a finite number fails it.
    pub fn trains_on_labels(&self) -> bool {
        !self.generic && self.label == LabelRule::Required
    }

    /// Format checks for `kind` without an algorithm.
    pub fn generic(kind: InputKind) -> Rules {
        Rules {
            label: match kind {
                InputKind::Csv | InputKind::Libsvm => LabelRule::Required,
                _ => LabelRule::Ignored,
            },
            generic: true,
            ..Rules::DEFAULT
        }
    }
}

/// A parsed content type: lower-cased base and `key=value` parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentType {
    /// The text as given.
    pub raw: String,
    /// The base type, lower case (`text/csv`).
    pub base: String,
    /// Parameters, keys lower case.
    pub params: Vec<(String, String)>,
}

impl ContentType {
    /// Parses `text/csv;label_size=1`. A parameter without `=` is a
    /// configuration error.
    pub fn parse(s: &str) -> Result<ContentType> {
        let mut parts = s.split(';');
        let base = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        if base.is_empty() {
            return Err(Error::config("the content type is empty"));
        }
        let mut params = Vec::new();
        for p in parts {
            if p.trim().is_empty() {
                continue;
            }
            let (k, v) = p.split_once('=').ok_or_else(|| {
                Error::config(format!("bad content type parameter {p:?} in {s:?}"))
            })?;
            params.push((
                k.trim().to_ascii_lowercase(),
                v.trim().trim_matches('"').to_string(),
            ));
        }
        Ok(ContentType {
            raw: s.to_string(),
            base,
            params,
        })
    }

    /// The value of parameter `key`.
    pub fn param(&self, key: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_aliases_parse() {
        for a in Algorithm::ALL {
            assert_eq!(a.name().parse::<Algorithm>().unwrap(), a);
        }
        assert_eq!(
            "Linear_Learner".parse::<Algorithm>().unwrap(),
            Algorithm::LinearLearner
        );
        assert_eq!(
            "fm".parse::<Algorithm>().unwrap(),
            Algorithm::FactorizationMachines
        );
        assert!("xgb2".parse::<Algorithm>().unwrap_err().is_config());
    }

    #[test]
    fn the_table_matches_the_spec() {
        use InputKind::*;
        assert!(Algorithm::FactorizationMachines.rules_for(Csv).is_none());
        assert_eq!(
            Algorithm::LinearLearner
                .rules_for(RecordioProtobuf)
                .unwrap()
                .dtype,
            Some(Dtype::Float32)
        );
        assert_eq!(
            Algorithm::Seq2seq
                .rules_for(RecordioProtobuf)
                .unwrap()
                .schema,
            Schema::Seq2seq
        );
        assert!(Algorithm::IpInsights.rules_for(RecordioProtobuf).is_none());
        assert!(Algorithm::Xgboost.rules_for(Libsvm).unwrap().xgboost);
        assert_eq!(Algorithm::Xgboost.accepts()[0].kind, Libsvm);
        assert!(Algorithm::Generic.rules_for(JsonLines).unwrap().generic);
        assert_eq!(
            Algorithm::Kmeans.rules_for(Csv).unwrap().label,
            LabelRule::Ignored
        );
    }

    #[test]
    fn content_types_parse_with_parameters() {
        let c = ContentType::parse("Text/CSV; label_size=1").unwrap();
        assert_eq!(c.base, "text/csv");
        assert_eq!(c.param("label_size"), Some("1"));
        assert!(ContentType::parse("text/csv;label_size").is_err());
        assert_eq!(
            InputKind::from_content_type("text/x-libsvm"),
            Some(InputKind::Libsvm)
        );
        assert_eq!(
            InputKind::from_path("a/b.json.gz"),
            Some(InputKind::JsonLines)
        );
    }

    #[test]
    fn kinds_map_to_formats_and_back() {
        use InputKind::*;
        for k in [Csv, Libsvm, RecordioProtobuf, JsonLines, Parquet] {
            assert_eq!(InputKind::from_format(k.format()), Some(k));
        }
        assert_eq!(JsonLines.format(), Format::Jsonl);
        assert_eq!(Text.format(), Format::Csv);
        assert_eq!(InputKind::from_format(Format::Tfrecord), None);
        assert_eq!(InputKind::from_format(Format::Json), None);
    }
}
