#!/usr/bin/env python3
"""Regenerates the committed seed corpora in fuzz/seeds/<target>/ (docs/fuzzing.md).

Seeds are the protocol fixtures (docs/protocol/fixtures) plus hand-made edge cases. Tokens
are signed with the fuzz targets' HS256 secret (fuzz/src/lib.rs SECRET). Run from anywhere:
    python3 fuzz/tools/make_seeds.py
Crash reproducers found later are added by hand as fuzz/seeds/<target>/crash-<what>.
"""
import base64, hashlib, hmac, json, os, pathlib, struct

ROOT = pathlib.Path(__file__).resolve().parents[2]
SEEDS = ROOT / "fuzz" / "seeds"
FIX = ROOT / "docs" / "protocol" / "fixtures"
SECRET = b"herald-fuzz-secret-0123456789abcd"
MASK = bytes([0x37, 0xFA, 0x21, 0x3D])


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def token(claims, header=None) -> str:
    header = header or {"typ": "JWT", "alg": "HS256"}
    msg = b64(json.dumps(header, separators=(",", ":")).encode()) + "." + b64(json.dumps(claims, separators=(",", ":")).encode())
    sig = hmac.new(SECRET, msg.encode(), hashlib.sha256).digest()
    return msg + "." + b64(sig)


def frame(opcode: int, payload: bytes, fin=True, mask=MASK) -> bytes:
    out = bytes([(0x80 if fin else 0) | opcode])
    n = len(payload)
    if n < 126:
        out += bytes([0x80 | n])
    elif n < 65536:
        out += bytes([0x80 | 126]) + struct.pack(">H", n)
    else:
        out += bytes([0x80 | 127]) + struct.pack(">Q", n)
    return out + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def write(target: str, name: str, data) -> None:
    d = SEEDS / target
    d.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    (d / name).write_bytes(data)


def compact(path: pathlib.Path) -> bytes:
    return json.dumps(json.loads(path.read_text()), separators=(",", ":")).encode()


# frame_decode: every frame fixture, and malformed frames.
for f in sorted((FIX / "frames").glob("*.json")):
    write("frame_decode", f.stem, compact(f))
for name, text in {
    "garbage": "not json",
    "array": "[1,2,3]",
    "no-type": '{"id":3}',
    "unknown-type": '{"type":"presence","id":4}',
    "bad-id": '{"type":"ping","id":-1}',
    "big-id": '{"type":"ping","id":4294967296}',
    "float-id": '{"type":"ping","id":1.0}',
    "null-id": '{"type":"ping","id":null}',
    "dup-type": '{"type":"ping","type":"subscribe"}',
    "publish-no-event": '{"type":"publish","id":9}',
    "publish-array-event": '{"type":"publish","event":[]}',
    "subscribe-bad-channel": '{"type":"subscribe","id":2,"channel":"Pipe line"}',
    "subscribe-since": '{"type":"subscribe","channel":"pipeline","subject":"p-1","since":{"epoch":"e","offset":18446744073709551615},"history":5}',
    "deep": "[" * 200 + "]" * 200,
    "escapes": '{"type":"authenticate","token":"\\u0000\\ud83d\\ude00","id":0}',
    "server-error": '{"type":"error","code":"future_code","message":"m"}',
}.items():
    write("frame_decode", name, text)

# envelope_decode: every event fixture, and edge cases.
for f in sorted((FIX / "events").glob("*.json")):
    write("envelope_decode", f.stem, compact(f))
base = {"id": "e1", "event_type": "custom_thing", "category": "SYSTEM", "priority": "LOW",
        "timestamp": "2026-11-22T10:00:00Z", "source": "s", "data": {}}
write("envelope_decode", "custom-type", json.dumps(base))
write("envelope_decode", "final-subject", json.dumps({**base, "subject": "a/b", "final": True}))
write("envelope_decode", "offset-time", json.dumps({**base, "timestamp": "2026-11-22T11:00:00.5+01:00"}))
write("envelope_decode", "float-data", json.dumps({**base, "event_type": "system_metrics_update",
      "data": {"cpuPercent": 0.1, "memoryPercent": 1e-300, "eventsPerSecond": 12345.678901234567}}))
write("envelope_decode", "empty-data-catalogue", json.dumps({**base, "event_type": "tool_started"}))

# jwt_claims: first byte = mode (byte % 3: 0 token, 1 claims, 2 header\0claims; 0x10 aud, 0x20 iss).
good = {"sub": "u-1", "org": "acme", "exp": 2_000_000_000, "subscribe": ["pipeline", "user/${sub}"], "publish": ["*"]}
write("jwt_claims", "token-valid", bytes([0]) + token(good).encode())
write("jwt_claims", "token-garbage", bytes([3]) + b"a.b.c")
write("jwt_claims", "token-alg-none", bytes([0]) + (token(good, {"alg": "none"}).rsplit(".", 1)[0] + ".").encode())
write("jwt_claims", "claims-valid", bytes([1]) + json.dumps(good).encode())
write("jwt_claims", "claims-aud-iss", bytes([0x31]) + json.dumps({**good, "aud": ["x", "hub"], "iss": "auth", "name": "Ann"}).encode())
write("jwt_claims", "claims-float-times", bytes([1]) + json.dumps({**good, "exp": 1900000000.0005, "nbf": 1900000005.0001, "iat": 1.5}).encode())
write("jwt_claims", "claims-expired", bytes([1]) + json.dumps({**good, "exp": 1899999994}).encode())
write("jwt_claims", "claims-huge-exp", bytes([1]) + json.dumps({**good, "exp": 18446744073709551615}).encode())
write("jwt_claims", "claims-nulls", bytes([1]) + json.dumps({**good, "name": None, "nbf": None, "subscribe": None}).encode())
write("jwt_claims", "claims-bad-types", bytes([1]) + json.dumps({**good, "exp": "2000000000", "publish": "x"}).encode())
write("jwt_claims", "claims-sub-slash", bytes([1]) + json.dumps({**good, "sub": "alice/inbox"}).encode())
write("jwt_claims", "claims-hidden-chars", bytes([1]) + json.dumps({**good, "sub": "u-1\u202e", "org": "ac\u200bme"}).encode())
write("jwt_claims", "header-kid", bytes([2]) + b'{"alg":"HS256","kid":"../../etc/passwd","typ":"JWT"}\0' + json.dumps(good).encode())
write("jwt_claims", "header-rs256", bytes([2]) + b'{"alg":"RS256"}\0' + json.dumps(good).encode())

# channel_subject: channel \0 subject \0 other subject \0 sub \0 patterns...
for name, parts in {
    "simple": ["pipeline", "p-42", "p-42/e-7", "u-1", "pipeline/p-42", "user/${sub}"],
    "star": ["user", "u-1/x", "u-10", "u-1", "*", "*/u-1"],
    "invalid": ["Pipe line", "a//b", "/", "${sub}", "pipeline/", "**", "pipe*"],
    "unicode": ["é", "a b/ü", "ü/x", "x\n", "é/ü", "${sub}/a/${sub}"],
    "hidden": ["pipeline", "p-42\u202e", "p\u200b/x", "u\u2028", "user/p\u00ad", "*/a\U000e0041", "debug/\u0085"],
    "long": ["a" * 64, "s" * 256, "s" * 257, "u", "a" * 65, "pipeline/" + "s" * 256],
}.items():
    write("channel_subject", name, "\0".join(parts))

# ws_read_loop: first byte = mode (1 auth prefix, 2 framed at 0xFF, 4 fuzzed claims, 8 client close).
ping = b'{"type":"ping","id":1}'
sub = b'{"type":"subscribe","id":2,"channel":"pipeline","subject":"p-42","history":10}'
publish = compact(FIX / "frames" / "client-publish.json")
final_pub = json.dumps({"type": "publish", "id": 4, "event": {**base, "category": "PIPELINE", "subject": "p-42", "final": True}}).encode()
write("ws_read_loop", "framed-auth-ping", bytes([3 | 8]) + ping)
write("ws_read_loop", "framed-auth-sub-pub", bytes([3]) + b"\xff".join([sub, publish, final_pub, b'{"type":"unsubscribe","channel":"pipeline"}']))
write("ws_read_loop", "framed-unauth", bytes([2]) + b"\xff".join([ping, b"garbage", sub]))
write("ws_read_loop", "framed-claims", bytes([6]) + b"\xff".join([json.dumps({**good, "exp": 4000000000}).encode(), sub, ping]))
write("ws_read_loop", "framed-claims-bad", bytes([6 | 8]) + b"\xff".join([b'{"sub":"u","org":"o","exp":1}', ping]))
write("ws_read_loop", "framed-bad-frames", bytes([3]) + b"\xff".join([b"x"] * 120))
write("ws_read_loop", "raw-auth-ping-close", bytes([1]) + frame(1, ping) + frame(8, struct.pack(">H", 1000)))
write("ws_read_loop", "raw-fragmented", bytes([1]) + frame(1, ping[:5], fin=False) + frame(9, b"p") + frame(0, ping[5:]))
write("ws_read_loop", "raw-bad-utf8", bytes([1]) + frame(1, b"\xc3\x28"))
write("ws_read_loop", "raw-binary", bytes([1]) + frame(2, b"\x00\x01"))
write("ws_read_loop", "raw-reserved-opcode", bytes([1]) + frame(3, b""))
write("ws_read_loop", "raw-rsv", bytes([1]) + bytes([0xC1, 0x80]) + MASK)
write("ws_read_loop", "raw-unmasked", bytes([1]) + bytes([0x81, 0x02]) + b"{}")
write("ws_read_loop", "raw-too-big", bytes([1]) + bytes([0x82, 0xFF]) + struct.pack(">Q", 70000) + MASK + b"\0" * 16)
write("ws_read_loop", "raw-pong-zero-mask", bytes([0]) + frame(10, b"", mask=b"\0\0\0\0") + frame(1, ping, mask=b"\0\0\0\0"))
