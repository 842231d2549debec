//! Statistics gathered while validating, and the hyperparameters they
//! suggest.

use std::collections::BTreeMap;

use super::table::Algorithm;
use crate::batch::Dtype;

/// At most this many distinct label values are listed as classes.
pub const MAX_CLASSES: usize = 32;

/// Integer labels below this are tracked as possible classes beyond
/// [`MAX_CLASSES`] (a bit each).
const INT_CLASSES: usize = 1 << 16;

/// What the data holds: the numbers users need as hyperparameters.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Stats {
    /// Files read.
    pub files: u64,
    /// Bytes read (decompressed).
    pub bytes: u64,
    /// Records (rows, lines, series, sentences) in all files.
    pub num_records: u64,
    /// The feature dimension: CSV feature columns, largest LibSVM index
    /// + 1, RecordIO-protobuf tensor width or shape (0 when not numeric).
    pub feature_dim: u64,
    /// Records with a label.
    pub labeled_records: u64,
    /// Smallest and largest label.
    pub label_range: Option<(f64, f64)>,
    /// Count of each label value, when there are at most [`MAX_CLASSES`].
    pub label_classes: Option<BTreeMap<String, u64>>,
    /// Feature values stored (dense cells, sparse entries).
    pub stored_values: u64,
    /// Stored feature values that are neither zero nor missing.
    pub nonzero_values: u64,
    /// Missing (empty or NaN) feature values.
    pub missing_values: u64,
    /// Share of zero (or absent) cells in the records × feature_dim
    /// matrix, 0 to 1.
    pub sparsity: Option<f64>,
    /// Smallest LibSVM index.
    pub min_index: Option<u64>,
    /// Shortest and longest sequence: DeepAR target, Object2Vec `in0`,
    /// Seq2Seq `source`, BlazingText sentence (tokens).
    pub sequence_length: Option<(u64, u64)>,
    /// Suggested hyperparameters for the algorithm.
    pub hyperparameters: Vec<Hint>,
}

/// A hyperparameter the data determines or bounds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hint {
    /// Hyperparameter name, as the algorithm spells it.
    pub name: String,
    /// The value to use, or its valid range.
    pub value: String,
    /// Why.
    pub note: String,
}

fn hint(name: &str, value: impl Into<String>, note: impl Into<String>) -> Hint {
    Hint {
        name: name.into(),
        value: value.into(),
        note: note.into(),
    }
}

/// Statistics of one chunk, merged in input order.
#[derive(Debug, Default, Clone)]
pub(crate) struct Part {
    pub(crate) records: u64,
    pub(crate) labeled: u64,
    /// `records` when a label of a record was last seen: the further labels
    /// of that record (a CSV `label_size` above 1, several BlazingText
    /// `__label__` prefixes) do not count it in `labeled` again.
    pub(crate) labeled_at: Option<u64>,
    pub(crate) label_range: Option<(f64, f64)>,
    pub(crate) classes: BTreeMap<u64, u64>,
    pub(crate) text_classes: BTreeMap<String, u64>,
    pub(crate) too_many_classes: bool,
    /// The integer labels below [`INT_CLASSES`] seen, one bit each, while
    /// every label is one (`int_labels_only`): past [`MAX_CLASSES`] the
    /// classes map is dropped, and this still tells whether the labels are
    /// the classes 0..k-1.
    pub(crate) int_labels: Vec<u64>,
    /// A label that is not an integer in `0..INT_CLASSES` was seen.
    pub(crate) not_int_labels: bool,
    pub(crate) dim: u64,
    pub(crate) stored: u64,
    pub(crate) nonzero: u64,
    pub(crate) missing: u64,
    pub(crate) min_index: Option<u64>,
    pub(crate) seq: Option<(u64, u64)>,
    /// DeepAR: largest `cat` value + 1 per position.
    pub(crate) cardinality: Vec<u64>,
    /// DeepAR: number of dynamic features.
    pub(crate) dynamic_feat: Option<u64>,
    /// Object2Vec `in0`/`in1`, Seq2Seq `source`/`target`: largest id + 1.
    pub(crate) vocab: [u64; 2],
    /// ... and longest sequence.
    pub(crate) max_len: [u64; 2],
}

fn minmax<T: PartialOrd + Copy>(a: Option<(T, T)>, b: Option<(T, T)>) -> Option<(T, T)> {
    match (a, b) {
        (None, x) | (x, None) => x,
        (Some((a0, a1)), Some((b0, b1))) => {
            Some((if b0 < a0 { b0 } else { a0 }, if b1 > a1 { b1 } else { a1 }))
        }
    }
}

impl Part {
    /// A numeric label of the record last counted in `records` (count the
    /// record first). The record counts once in `labeled`, however many
    /// labels it has; each label counts in the range and the classes.
    #[inline]
    pub(crate) fn label(&mut self, v: f64) {
        self.labeled_record();
        self.label_value(v, 1);
    }

    /// `n` records with the one numeric label `v` each: the same as
    /// [`label`](Self::label) once for each of them, except for
    /// `labeled_at`, which the caller keeps (see `records::Labels`).
    #[inline]
    pub(crate) fn labels(&mut self, v: f64, n: u64) {
        self.labeled += n;
        self.label_value(v, n);
    }

    /// A text label (BlazingText) of the record last counted in `records`,
    /// counted as [`label`](Self::label) counts a numeric one.
    pub(crate) fn text_label(&mut self, v: &str) {
        self.labeled_record();
        if !self.too_many_classes {
            *self.text_classes.entry(v.to_string()).or_default() += 1;
            if self.text_classes.len() > MAX_CLASSES {
                self.too_many_classes = true;
                self.text_classes.clear();
            }
        }
    }

    /// Counts the record last counted in `records` as labeled, once.
    #[inline]
    fn labeled_record(&mut self) {
        if self.labeled_at != Some(self.records) {
            self.labeled_at = Some(self.records);
            self.labeled += 1;
        }
    }

    /// `n` occurrences of the label value `v` in the range and the classes.
    /// -0 is 0 (a class of its own, it would hide the classes 0..k-1).
    #[inline]
    fn label_value(&mut self, v: f64, n: u64) {
        let v = if v == 0.0 { 0.0 } else { v };
        if !self.not_int_labels {
            if v >= 0.0 && v < INT_CLASSES as f64 && v.fract() == 0.0 {
                if self.int_labels.is_empty() {
                    self.int_labels = vec![0; INT_CLASSES / 64];
                }
                let i = v as usize;
                self.int_labels[i / 64] |= 1 << (i % 64);
            } else {
                self.not_int_labels = true;
                self.int_labels = Vec::new();
            }
        }
        if !v.is_nan() {
            self.label_range = minmax(self.label_range, Some((v, v)));
        }
        if !self.too_many_classes {
            *self.classes.entry(v.to_bits()).or_default() += n;
            if self.classes.len() > MAX_CLASSES {
                self.too_many_classes = true;
                self.classes.clear();
            }
        }
    }

    /// A stored feature value.
    #[inline]
    pub(crate) fn value(&mut self, v: f64) {
        self.stored += 1;
        if v.is_nan() {
            self.missing += 1;
        } else if v != 0.0 {
            self.nonzero += 1;
        }
    }

    /// A stored feature value of class `c` (from the text, unconverted).
    #[inline]
    pub(crate) fn class(&mut self, c: super::number::Class) {
        use super::number::Class;
        self.stored += 1;
        match c {
            Class::Nan | Class::NotNumber => self.missing += 1,
            Class::Positive | Class::Negative => self.nonzero += 1,
            Class::Zero => {}
        }
    }

    /// A sequence of `n` items.
    #[inline]
    pub(crate) fn seq(&mut self, n: u64) {
        self.seq = minmax(self.seq, Some((n, n)));
    }

    pub(crate) fn merge(&mut self, o: Part) {
        if let Some(at) = o.labeled_at {
            self.labeled_at = Some(self.records + at);
        }
        self.records += o.records;
        self.labeled += o.labeled;
        self.label_range = minmax(self.label_range, o.label_range);
        if o.too_many_classes {
            self.too_many_classes = true;
        }
        self.not_int_labels |= o.not_int_labels;
        if self.not_int_labels {
            self.int_labels = Vec::new();
        } else if self.int_labels.is_empty() {
            self.int_labels = o.int_labels;
        } else {
            for (a, b) in self.int_labels.iter_mut().zip(&o.int_labels) {
                *a |= b;
            }
        }
        if !self.too_many_classes {
            for (k, v) in o.classes {
                *self.classes.entry(k).or_default() += v;
            }
            for (k, v) in o.text_classes {
                *self.text_classes.entry(k).or_default() += v;
            }
            if self.classes.len() > MAX_CLASSES || self.text_classes.len() > MAX_CLASSES {
                self.too_many_classes = true;
            }
        }
        if self.too_many_classes {
            self.classes.clear();
            self.text_classes.clear();
        }
        self.dim = self.dim.max(o.dim);
        self.stored += o.stored;
        self.nonzero += o.nonzero;
        self.missing += o.missing;
        self.min_index = match (self.min_index, o.min_index) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.seq = minmax(self.seq, o.seq);
        if o.cardinality.len() > self.cardinality.len() {
            self.cardinality.resize(o.cardinality.len(), 0);
        }
        for (a, b) in self.cardinality.iter_mut().zip(o.cardinality) {
            *a = (*a).max(b);
        }
        self.dynamic_feat = self.dynamic_feat.max(o.dynamic_feat);
        for i in 0..2 {
            self.vocab[i] = self.vocab[i].max(o.vocab[i]);
            self.max_len[i] = self.max_len[i].max(o.max_len[i]);
        }
    }

    /// The public statistics and the hints for `alg`.
    pub(crate) fn finish(&self, alg: Algorithm, files: u64, bytes: u64) -> Stats {
        let classes = if self.too_many_classes || self.labeled == 0 {
            None
        } else if !self.text_classes.is_empty() {
            Some(self.text_classes.clone())
        } else {
            Some(
                self.classes
                    .iter()
                    .map(|(&bits, &n)| {
                        let mut s = Vec::new();
                        crate::codec::text::write_value(
                            &mut s,
                            f64::from_bits(bits),
                            Dtype::Float64,
                        );
                        (String::from_utf8(s).expect("ascii"), n)
                    })
                    .collect(),
            )
        };
        let cells = self.records.saturating_mul(self.dim);
        let sparsity = (cells > 0).then(|| 1.0 - (self.nonzero as f64 / cells as f64).min(1.0));
        let mut s = Stats {
            files,
            bytes,
            num_records: self.records,
            feature_dim: self.dim,
            labeled_records: self.labeled,
            label_range: self.label_range,
            label_classes: classes,
            stored_values: self.stored,
            nonzero_values: self.nonzero,
            missing_values: self.missing,
            sparsity,
            min_index: self.min_index,
            sequence_length: self.seq,
            hyperparameters: Vec::new(),
        };
        s.hyperparameters = self.hints(alg, &s);
        s
    }

    /// Number of classes when the labels are the integers 0..k-1.
    fn class_count(&self) -> Option<u64> {
        if self.too_many_classes {
            // Past MAX_CLASSES: the integer labels seen, if they are all
            // and run 0..k-1 without a gap.
            if self.not_int_labels || self.int_labels.is_empty() {
                return None;
            }
            let k: u32 = self.int_labels.iter().map(|w| w.count_ones()).sum();
            let full = (k / 64) as usize;
            let gapless = self.int_labels[..full].iter().all(|&w| w == u64::MAX)
                && self
                    .int_labels
                    .get(full)
                    .is_none_or(|&w| w == (1u64 << (k % 64)) - 1);
            return gapless.then_some(u64::from(k));
        }
        if self.classes.is_empty() {
            return None;
        }
        let mut vals: Vec<f64> = self.classes.keys().map(|&b| f64::from_bits(b)).collect();
        vals.sort_by(f64::total_cmp);
        vals.iter()
            .enumerate()
            .all(|(i, &v)| v == i as f64)
            .then_some(vals.len() as u64)
    }

    fn hints(&self, alg: Algorithm, s: &Stats) -> Vec<Hint> {
        let n = s.num_records;
        let dim = s.feature_dim;
        let mut h = Vec::new();
        let classes = self.class_count();
        let binary01 = !self.too_many_classes
            && !self.classes.is_empty()
            && self
                .classes
                .keys()
                .all(|&b| matches!(f64::from_bits(b), 0.0 | 1.0));
        let feature_dim = |h: &mut Vec<Hint>| {
            h.push(hint(
                "feature_dim",
                dim.to_string(),
                "number of feature columns (required)",
            ))
        };
        match alg {
            Algorithm::Generic => {}
            Algorithm::Xgboost => match classes {
                Some(2) => h.push(hint("objective", "binary:logistic", "labels are 0 and 1")),
                Some(k) if k > 2 => {
                    h.push(hint(
                        "objective",
                        "multi:softmax",
                        format!("labels are the classes 0..{}", k - 1),
                    ));
                    h.push(hint("num_class", k.to_string(), "number of classes"));
                }
                _ => h.push(hint(
                    "objective",
                    "reg:squarederror",
                    "labels are not the classes 0..k-1 (regression)",
                )),
            },
            Algorithm::LinearLearner => {
                feature_dim(&mut h);
                match classes {
                    Some(2) => h.push(hint(
                        "predictor_type",
                        "binary_classifier",
                        "labels are 0 and 1",
                    )),
                    Some(k) if k > 2 => {
                        h.push(hint(
                            "predictor_type",
                            "multiclass_classifier",
                            format!("labels are the classes 0..{}", k - 1),
                        ));
                        h.push(hint("num_classes", k.to_string(), "number of classes"));
                    }
                    _ => h.push(hint(
                        "predictor_type",
                        "regressor",
                        "labels are not the classes 0..k-1",
                    )),
                }
            }
            Algorithm::FactorizationMachines => {
                feature_dim(&mut h);
                h.push(hint(
                    "num_factors",
                    "2..1000 (64 is a good start)",
                    "positive integer; AWS suggests [2, 1000]",
                ));
                h.push(if binary01 {
                    hint("predictor_type", "binary_classifier", "labels are 0 and 1")
                } else {
                    hint(
                        "predictor_type",
                        "regressor",
                        "labels are not all 0 or 1 (binary_classifier needs 0/1 labels)",
                    )
                });
            }
            Algorithm::Knn => {
                feature_dim(&mut h);
                h.push(hint(
                    "predictor_type",
                    if classes.is_some() {
                        "classifier"
                    } else {
                        "regressor"
                    },
                    if classes.is_some() {
                        "labels are the classes 0..k-1"
                    } else {
                        "labels are not the classes 0..k-1"
                    },
                ));
                h.push(hint(
                    "sample_size",
                    format!("1..{n}"),
                    "at most the number of records",
                ));
                h.push(hint(
                    "k",
                    format!("1..{n}"),
                    "at most the number of records",
                ));
            }
            Algorithm::Kmeans => {
                feature_dim(&mut h);
                h.push(if n >= 2 {
                    hint(
                        "k",
                        format!("2..{n}"),
                        "clusters: at most the number of records",
                    )
                } else {
                    hint(
                        "k",
                        "none",
                        "k is at least 2 and at most the number of records: one record is too few",
                    )
                });
            }
            Algorithm::Pca => {
                feature_dim(&mut h);
                h.push(hint(
                    "num_components",
                    format!("1..{}", dim.min(n)),
                    "at most feature_dim and the number of records",
                ));
            }
            Algorithm::Rcf => feature_dim(&mut h),
            Algorithm::Lda => {
                h.push(hint(
                    "feature_dim",
                    dim.to_string(),
                    "vocabulary size (required)",
                ));
                h.push(hint(
                    "mini_batch_size",
                    n.to_string(),
                    "number of documents (required)",
                ));
            }
            Algorithm::Ntm => {
                h.push(hint(
                    "feature_dim",
                    dim.to_string(),
                    "vocabulary size (required)",
                ));
            }
            Algorithm::IpInsights => {
                h.push(hint(
                    "num_entity_vectors",
                    "about 2 × distinct entity ids",
                    "AWS recommends twice the number of unique entity identifiers",
                ));
            }
            Algorithm::Deepar => {
                if !self.cardinality.is_empty() {
                    let c: Vec<String> = self.cardinality.iter().map(u64::to_string).collect();
                    h.push(hint(
                        "cardinality",
                        format!("[{}]", c.join(", ")),
                        "largest 'cat' value + 1 per categorical feature",
                    ));
                }
                if let Some(k) = self.dynamic_feat.filter(|&k| k > 0) {
                    h.push(hint(
                        "num_dynamic_feat",
                        k.to_string(),
                        "dynamic features per series",
                    ));
                }
                if let Some((lo, _)) = self.seq {
                    h.push(hint(
                        "context_length + prediction_length",
                        format!("at most {lo}"),
                        "the shortest training series",
                    ));
                }
            }
            Algorithm::Object2vec => {
                h.push(hint(
                    "enc0_vocab_size",
                    self.vocab[0].to_string(),
                    "largest in0 token id + 1",
                ));
                h.push(hint(
                    "enc1_vocab_size",
                    self.vocab[1].to_string(),
                    "largest in1 token id + 1",
                ));
                h.push(hint(
                    "enc0_max_seq_len",
                    self.max_len[0].to_string(),
                    "longest in0",
                ));
                h.push(hint(
                    "enc1_max_seq_len",
                    self.max_len[1].to_string(),
                    "longest in1",
                ));
            }
            Algorithm::Seq2seq => {
                h.push(hint(
                    "max_seq_len_source",
                    self.max_len[0].to_string(),
                    "longest source",
                ));
                h.push(hint(
                    "max_seq_len_target",
                    self.max_len[1].to_string(),
                    "longest target",
                ));
            }
            Algorithm::Blazingtext => {
                if let Some(c) = &s.label_classes {
                    h.push(hint("mode", "supervised", format!("{} labels", c.len())));
                }
            }
        }
        h
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::{Options, validate};

    /// Validates `data`, written to a file named `name`, for `alg`.
    fn stats_of(name: &str, data: &str, alg: Algorithm, ct: Option<&str>) -> Stats {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join(name);
        std::fs::write(&p, data).unwrap();
        let mut opts = Options::new(alg);
        opts.content_type = ct.map(str::to_string);
        validate(&[p.display().to_string()], &opts).unwrap().stats
    }

    fn hint_value<'a>(s: &'a Stats, name: &str) -> &'a str {
        let h = s.hyperparameters.iter().find(|h| h.name == name);
        &h.unwrap_or_else(|| panic!("no {name} in {s:#?}")).value
    }

    #[test]
    fn integer_classes_beyond_the_printed_ones_still_give_the_objective() {
        // 40 classes in two chunks: more than MAX_CLASSES, so the classes
        // map is dropped, and the labels are still seen to be 0..39.
        let part = |labels: std::ops::Range<u64>| {
            let mut p = Part::default();
            for v in labels {
                p.records += 1;
                p.label(v as f64);
            }
            p
        };
        let mut p = part(0..20);
        p.merge(part(20..40));
        let s = p.finish(Algorithm::Xgboost, 1, 0);
        assert!(s.label_classes.is_none());
        assert_eq!(hint_value(&s, "objective"), "multi:softmax");
        assert_eq!(hint_value(&s, "num_class"), "40");
        let s = part(0..40).finish(Algorithm::LinearLearner, 1, 0);
        assert_eq!(hint_value(&s, "num_classes"), "40");
        // A gap (no 17), labels from 1, a fraction: not classes 0..k-1.
        for p in [
            {
                let mut p = part(0..17);
                p.merge(part(18..41));
                p
            },
            part(1..41),
            {
                let mut p = part(0..40);
                p.records += 1;
                p.label(2.5);
                p
            },
        ] {
            let s = p.finish(Algorithm::Xgboost, 1, 0);
            assert_eq!(hint_value(&s, "objective"), "reg:squarederror");
        }
    }

    #[test]
    fn kmeans_k_is_a_range_only_with_two_records_or_more() {
        let part = |n: u64| Part {
            records: n,
            ..Part::default()
        };
        let s = part(5).finish(Algorithm::Kmeans, 3, 0);
        assert_eq!(hint_value(&s, "k"), "2..5");
        let s = part(1).finish(Algorithm::Kmeans, 3, 0);
        assert_eq!(hint_value(&s, "k"), "none");
    }

    #[test]
    fn negative_zero_labels_are_class_zero() {
        let mut p = Part::default();
        for v in [-0.0, 1.0, 0.0] {
            p.records += 1;
            p.label(v);
        }
        let s = p.finish(Algorithm::Xgboost, 1, 0);
        let classes: Vec<&str> = s
            .label_classes
            .as_ref()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(classes, ["0", "1"]);
        assert_eq!(
            s.label_range.map(|(lo, _)| lo.to_bits()),
            Some(0.0f64.to_bits())
        );
        assert_eq!(hint_value(&s, "objective"), "binary:logistic");
        // -0 first, the whole range is -0 .. -0 without the fix.
        let mut p = Part::default();
        p.records += 1;
        p.labels(-0.0, 3);
        assert_eq!(
            p.label_range.map(|(lo, hi)| (lo.to_bits(), hi.to_bits())),
            Some((0, 0))
        );
        // Through the CSV checks.
        let s = stats_of("t.csv", "-0,1,2\n1,2,3\n0,1,1\n", Algorithm::Xgboost, None);
        assert_eq!(s.label_classes.as_ref().unwrap().len(), 2);
        assert_eq!(s.label_range, Some((0.0, 1.0)));
        assert_eq!(s.label_range.unwrap().0.to_bits(), 0.0f64.to_bits());
        assert_eq!(hint_value(&s, "objective"), "binary:logistic");
    }

    #[test]
    fn a_record_counts_once_however_many_labels_it_has() {
        let mut p = Part::default();
        p.records += 1;
        p.text_label("__label__pos");
        p.text_label("__label__x");
        p.records += 1;
        p.text_label("__label__neg");
        p.records += 1;
        p.label(1.0);
        p.label(2.0);
        p.records += 1;
        p.labels(3.0, 2);
        assert_eq!(p.labeled, 5);
        // Every label value still counts in the classes and the range.
        assert_eq!(p.text_classes.values().sum::<u64>(), 3);
        assert_eq!(p.classes.values().sum::<u64>(), 4);
        assert_eq!(p.label_range, Some((1.0, 3.0)));
        // Parts merged in order: a label of the next part's first record
        // is that record's.
        let mut a = Part::default();
        a.records += 1;
        a.label(1.0);
        let mut b = Part::default();
        b.records += 1;
        b.label(0.0);
        a.merge(b);
        a.label(2.0);
        assert_eq!((a.records, a.labeled), (2, 2));

        let s = stats_of(
            "t.txt",
            "__label__pos __label__x good movie\n__label__neg bad movie\n",
            Algorithm::Blazingtext,
            None,
        );
        assert_eq!((s.num_records, s.labeled_records), (2, 2));
        assert_eq!(s.label_classes.unwrap().values().sum::<u64>(), 3);
        let s = stats_of(
            "t.csv",
            "0,1,5,6\n1,0,7,8\n",
            Algorithm::Knn,
            Some("text/csv;label_size=2"),
        );
        assert_eq!((s.num_records, s.labeled_records), (2, 2));
        assert_eq!(s.label_classes.unwrap().values().sum::<u64>(), 4);
        assert_eq!(s.feature_dim, 2);
    }
}
