#!/usr/bin/env python3
"""Writes the bad-input corpus testdata/bad/<format>/ (see README.md).

Pure Python, no dependencies, deterministic: every byte is spelled out
below. Run from anywhere:  python3 testdata/bad/make_bad.py
Each file holds exactly one problem; README.md lists the error sm-data
must report for it, and tests/it/bad_corpus.rs checks that it does.
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
MAGIC = struct.pack("<I", 0xCED7230A)


def write(rel, data):
    path = os.path.join(HERE, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


# --- RecordIO framing ------------------------------------------------------


def header(length, cflag=0, magic=MAGIC):
    return magic + struct.pack("<I", (cflag << 29) | length)


def part(payload, cflag=0):
    """One RecordIO part with its zero padding to a multiple of 4."""
    return header(len(payload), cflag) + payload + b"\0" * ((-len(payload)) % 4)


# --- protobuf (aialgs.data.Record) -----------------------------------------


def varint(v):
    out = bytearray()
    while v >= 0x80:
        out.append((v & 0x7F) | 0x80)
        v >>= 7
    out.append(v)
    return bytes(out)


def field(num, body):
    """A length-delimited field."""
    return varint(num << 3 | 2) + varint(len(body)) + body


def f32s(*vals):
    return b"".join(struct.pack("<f", v) for v in vals)


def packed(*vals):
    return b"".join(varint(v) for v in vals)


def f32_tensor(values=(), keys=(), shape=(), raw_values=None):
    body = b""
    vb = raw_values if raw_values is not None else f32s(*values)
    if vb:
        body += field(1, vb)
    if keys:
        body += field(2, packed(*keys))
    if shape:
        body += field(3, packed(*shape))
    return body


def value_f32(**kw):
    return field(2, f32_tensor(**kw))  # Value.float32_tensor = 2


def entry(key, value_body):
    return field(1, key) + field(2, value_body)


def record(features=None, label=None, key=b"values"):
    out = b""
    if features is not None:
        out += field(1, entry(key, features))
    if label is not None:
        out += field(2, entry(b"values", label))
    return out


GOOD = record(value_f32(values=(1.5, 2.0, 0.0)), value_f32(values=(1.0,)))

# --- csv -------------------------------------------------------------------

write("csv/ragged_short.csv", b"1,2,3\n4,5,6\n7,8\n")
write("csv/ragged_long.csv", b"1,2\n3,4,5\n")
write("csv/ragged_crlf.csv", b"1,2,3\r\n4,5,6,7\r\n")
write("csv/non_numeric.csv", b"1,2,3\n4,abc,6\n")
write("csv/bad_number.csv", b"1,2.5\n0,1.2.3\n")
write("csv/invalid_utf8.csv", b"1,2\n0,\xff\xfe\n")
write("csv/unclosed_quote.csv", b'1,2\n3,"4\n')
write("csv/quote_in_unquoted_field.csv", b'1,2"3\n')
write("csv/text_after_closing_quote.csv", b'"1"x,2\n')
write("csv/quoted_newline_text.csv", b'1,2\n0,"2\n3"\n')
write("csv/header_without_flag.csv", b"label,f1,f2\n1,2,3\n")
write("csv/bom_blank_lines.csv", b"\xef\xbb\xbf1,2\n\n\n3,x\n")
write("csv/label_column_missing.csv", b"1,2,3\n")

# --- libsvm ----------------------------------------------------------------

write("libsvm/negative_index.libsvm", b"1 0:1\n0 -3:2\n")
write("libsvm/non_numeric_index.libsvm", b"1 a:1\n")
write("libsvm/fractional_index.libsvm", b"1 0:1 1.5:2\n")
write("libsvm/index_overflow.libsvm", b"1 99999999999999999999:1\n")
write("libsvm/index_zero_one_based.libsvm", b"1 1:1\n0 0:2\n")
write("libsvm/label_weight.libsvm", b"1 0:1\n1:0.5 0:1\n")
write("libsvm/multi_label.libsvm", b"1,2 0:1\n")
write("libsvm/non_numeric_label.libsvm", b"yes 0:1\n")
write("libsvm/missing_colon.libsvm", b"1 0:1 3\n")
write("libsvm/missing_value.libsvm", b"1 3:\n")
write("libsvm/non_numeric_value.libsvm", b"1 0:1\n1 2:1\n0 1:abc\n")
write("libsvm/invalid_utf8_value.libsvm", b"1 0:\xff\xfe\n")
write("libsvm/bad_qid.libsvm", b"1 qid:x 0:1\n")
write("libsvm/after_comments.libsvm", b"# comment\n\n1 0:1\n2 1:1 x:2\n")

# --- recordio (framing) ----------------------------------------------------

OK = part(b"ok")  # 12 bytes
write("recordio/bad_magic.rec", header(0, magic=b"\x0a\x23\xd7\xcf"))
write("recordio/bad_magic_second_record.rec", OK + b"\xff\xff\xff\xff" + struct.pack("<I", 0))
write("recordio/truncated_header.rec", OK + header(4)[:5])
write("recordio/length_past_end.rec", header(100) + b"0123456789")
write("recordio/invalid_cflag.rec", header(0, cflag=4))
write("recordio/continuation_without_begin.rec", part(b"A", cflag=2))
write("recordio/split_never_ends.rec", OK + part(b"abc", cflag=1))
write("recordio/split_interrupted.rec", part(b"abc", cflag=1) + part(b"de", cflag=0))
write("recordio/trailing_bytes.rec", OK + b"\0\0\0")
write("recordio/missing_padding_mid_file.rec", header(5) + b"hello" + OK)
write("recordio/payload_not_protobuf.rec", part(b"\xff\xff\xff"))
write("recordio/empty_split_then_garbage.rec", part(b"", cflag=1) + b"\x00" * 8)

# --- recordio-protobuf (payloads) ------------------------------------------

PB = [
    # Field 1 (features) as a varint instead of a map entry.
    ("wrong_wire_type_entry", b"\x08\x01"),
    # A features entry whose length (5) runs past the 2 bytes left.
    ("length_past_end", b"\x0a\x05\x0a\x03"),
    # Map key bytes ff fe: not UTF-8.
    ("invalid_utf8_key", field(1, field(1, b"\xff\xfe"))),
    # uid (field 3) bytes ff fe: not UTF-8.
    ("invalid_utf8_uid", GOOD + field(3, b"\xff\xfe")),
    # Sparse tensor: 2 keys but 1 value.
    ("keys_without_values", record(value_f32(values=(1.0,), keys=(1, 2), shape=(4,)))),
    # Sparse tensor: key 5 past shape [3].
    ("key_past_shape", record(value_f32(values=(1.0,), keys=(5,), shape=(3,)))),
    # Packed float values of 3 bytes.
    ("packed_floats_ragged", record(value_f32(raw_values=b"\x00\x00\xc0"))),
    # A tag varint of 11 bytes.
    ("varint_too_long", b"\xff" * 10 + b"\x01"),
    # Field 15 with wire type 7.
    ("invalid_wire_type", b"\x7f"),
    # Field number 0.
    ("field_number_zero", b"\x00"),
    # Value.float32_tensor (field 2) as a varint.
    ("wrong_wire_type_value", field(1, entry(b"values", b"\x10\x01"))),
    # Unknown field 6 starting a group that never ends.
    ("unterminated_group", GOOD + b"\x33"),
    # A feature named "source": not convertible to rows.
    ("feature_not_values", record(value_f32(values=(1.0,)), key=b"source")),
    # Features as Bytes (Value.bytes = 9).
    ("bytes_features", field(1, entry(b"values", field(9, field(1, b"\x89PNG"))))),
]
for name, payload in PB:
    # The broken payload is the second record, after a good one.
    write("recordio-protobuf/%s.pbr" % name, part(GOOD) + part(payload))

# --- jsonl -----------------------------------------------------------------

write("jsonl/invalid_json.jsonl", b'{"features": [1, 2]}\n{"features": [1, 2}\n')
write("jsonl/ragged.jsonl", b'{"features": [1, 2]}\n{"features": [1, 2, 3]}\n')
write("jsonl/no_features.jsonl", b'{"features": [1]}\n{"feature": [1]}\n')
write("jsonl/quoted_number.jsonl", b'{"features": [1, "2"]}\n')
write("jsonl/trailing_comma.jsonl", b'{"features": [1, 2,]}\n')
write("jsonl/leading_zero.jsonl", b'{"features": [01]}\n')
write("jsonl/invalid_utf8.jsonl", b'{"features": [1], "uid": "\xff\xfe"}\n')
write("jsonl/bad_escape.jsonl", b'{"features": [1], "uid": "a\\x"}\n')
write("jsonl/keys_values_mismatch.jsonl", b'{"features": {"keys": [0, 3], "values": [1], "shape": [5]}}\n')
write("jsonl/key_past_shape.jsonl", b'{"features": {"keys": [7], "values": [1], "shape": [5]}}\n')
write("jsonl/negative_key.jsonl", b'{"features": {"keys": [-1], "values": [1]}}\n')
write("jsonl/two_values_on_a_line.jsonl", b'{"features": [1]} {"features": [2]}\n')
write("jsonl/truncated.jsonl", b'{"features": [1]}\n{"features": [1')
write("jsonl/string_label.jsonl", b'{"features": [1], "label": "cat"}\n')

# --- json --------------------------------------------------------------------

write("json/no_instances.json", b'{"inputs": [[1, 2]]}')
write("json/instances_not_array.json", b'{"instances": {"features": [1]}}')
write("json/trailing_comma.json", b'{"instances": [[1, 2], [3, 4],]}')
write("json/missing_comma.json", b'{"instances": [[1, 2] [3, 4]]}')
write("json/unclosed_array.json", b'{"instances": [[1, 2], [3, 4]')
write("json/ragged.json", b'{"instances": [{"features": [1, 2]}, {"features": [3]}]}')
write("json/bad_instance.json", b'{"instances": [{"features": [1]}, "text"]}')
write("json/data_without_values.json", b'{"instances": [{"data": {"features": {"keys": [1]}}}]}')
write("json/string_prediction.json", b'{"predictions": [{"score": 0.5}, {"label": "cat"}]}')
write("json/garbage_after_document.json", b'{"instances": [[1]]} []')
write("json/not_json.json", b'instances: [1, 2]')
write("json/unterminated_string.json", b'{"instances": [[1]], "configuration": {"a": "b}}')

# --- tfrecord ----------------------------------------------------------------


def crc32c(data):
    c = 0xFFFFFFFF
    for b in data:
        c ^= b
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
    return c ^ 0xFFFFFFFF


def masked(data):
    c = crc32c(data)
    return ((((c >> 15) | (c << 17)) & 0xFFFFFFFF) + 0xA282EAD8) & 0xFFFFFFFF


def tfr(payload, length=None, len_crc=None, data_crc=None):
    n = struct.pack("<Q", len(payload) if length is None else length)
    return (
        n
        + struct.pack("<I", masked(n) if len_crc is None else len_crc)
        + payload
        + struct.pack("<I", masked(payload) if data_crc is None else data_crc)
    )


GOOD = tfr(b"hello")  # 21 bytes
assert GOOD.hex() == "0500000000000000eab2043e68656c6c6fbb1f1c19"
write("tfrecord/bad_header_crc.tfrecord", tfr(b"hello", len_crc=0))
write("tfrecord/bad_data_crc_second_record.tfrecord", GOOD + tfr(b"world", data_crc=0x12345678))
write("tfrecord/flipped_payload_bit.tfrecord", GOOD[:12] + b"hellp" + GOOD[17:])
write("tfrecord/truncated_header.tfrecord", GOOD + GOOD[:7])
write("tfrecord/truncated_payload.tfrecord", GOOD + GOOD[:15])
write("tfrecord/missing_data_crc.tfrecord", GOOD + GOOD[:17])
write("tfrecord/length_past_end.tfrecord", tfr(b"hello", length=100)[:21])
write("tfrecord/huge_length.tfrecord", tfr(b"", length=1 << 40))
write("tfrecord/recordio_bytes.tfrecord", MAGIC + struct.pack("<I", 5) + b"hello\0\0\0")
write("tfrecord/trailing_garbage.tfrecord", GOOD + b"\0\0\0")
write("tfrecord/zero_length_bad_crc.tfrecord", GOOD + tfr(b"", data_crc=0))
write("tfrecord/text_not_tfrecord.tfrecord", b"1,2,3\n4,5,6\n7,8,9\n")
