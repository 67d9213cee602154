"""A parquet file's footer, checked from its raw bytes before any reader (pyarrow, DuckDB) decodes it.

A parquet file ends with its metadata (the footer, Thrift compact protocol), the footer's length
(4 bytes, little-endian) and the magic `PAR1`. A reader trusts that length and decodes every row
group and column chunk the footer lists, so a hostile file can make it allocate far more than the
file's size. Here, before that:

- `trailer_problem`: the magic at both ends, a footer length that fits the file and is at most
  `PARQUET_MAX_FOOTER_BYTES` (cheap: the first 4 and last 8 bytes; also used while the drop is
  copied into staging, so such a file is not even copied);
- `footer_problem`: the footer is walked with a small Thrift compact-protocol reader that only
  counts: the number of row groups, of column chunks per row group and in all, and of schema
  elements are bounded (`PARQUET_MAX_*`) before anything is allocated for them;
- `check_parquet`: both, then the leaf column count from the (now safely decoded) metadata.

Each returns a problem text (or None); a file with a problem is not read by any later check.
"""

from __future__ import annotations

import errno
import os
import struct
from pathlib import Path

import pyarrow.parquet as pq

from cockpit.contract import (
    PARQUET_MAX_COLUMN_CHUNKS,
    PARQUET_MAX_COLUMNS,
    PARQUET_MAX_FOOTER_BYTES,
    PARQUET_MAX_ROW_GROUPS,
)
from cockpit.ingest.validate.problems import Problem

MAGIC = b"PAR1"
ENCRYPTED_MAGIC = b"PARE"
# Smallest possible file: magic, an (empty) footer length and magic again.
MIN_FILE_BYTES = 12
# Schema elements include group nodes (a list column has three): bounded loosely here, the leaf
# column count exactly once the footer is known to be small.
MAX_SCHEMA_ELEMENTS = 10 * PARQUET_MAX_COLUMNS
# Thrift values the walk may visit (each takes at least one byte): a column chunk written by pyarrow
# or DuckDB holds ~30, so a file at the column chunk limit passes; a denser footer is refused.
MAX_THRIFT_VALUES = 60 * PARQUET_MAX_COLUMN_CHUNKS
MAX_THRIFT_DEPTH = 32

MIB = 1024 * 1024


def _size(n: int) -> str:
    return f"{n / MIB:.1f} MiB" if n >= MIB else f"{n} bytes"


def trailer_problem(size: int, head: bytes, tail: bytes) -> str | None:
    """Check the magic bytes and the footer length; `head`/`tail`: the first 4 and last 8 bytes."""
    if size < MIN_FILE_BYTES:
        return f"unreadable parquet: the file is too small to be parquet ({size} bytes)"
    if head == ENCRYPTED_MAGIC or tail[4:] == ENCRYPTED_MAGIC:
        return "unreadable parquet: encrypted parquet (PARE) is not supported"
    if tail[4:] != MAGIC:
        return "unreadable parquet: the file does not end with the parquet magic PAR1 (truncated, or not parquet)"
    if head != MAGIC:
        return "unreadable parquet: the file does not start with the parquet magic PAR1 (not parquet)"
    footer = struct.unpack("<I", tail[:4])[0]
    if footer > size - MIN_FILE_BYTES:
        return (f"unreadable parquet: the footer claims {_size(footer)} of metadata but the file has only "
                f"{_size(size)} (truncated, or not parquet)")
    if footer > PARQUET_MAX_FOOTER_BYTES:
        return (f"the footer (file metadata) is {_size(footer)}, more than the limit of "
                f"{_size(PARQUET_MAX_FOOTER_BYTES)}; write fewer, bigger row groups")
    if footer == 0:
        return "unreadable parquet: the footer is empty"
    return None


class _Refused(Exception):
    """The footer breaks a limit (the message says which)."""


class _Malformed(Exception):
    """The footer is not valid Thrift compact protocol."""


class _Walker:
    """Just enough of the Thrift compact protocol to skip values and read list sizes."""

    # compact types: 1/2 bool (in the field header), 3 byte, 4 i16, 5 i32, 6 i64, 7 double,
    # 8 binary, 9 list, 10 set, 11 map, 12 struct
    FIXED_IN_LIST = {1: 1, 2: 1, 3: 1, 7: 8}

    def __init__(self, buf: bytes):
        self.buf = buf
        self.pos = 0
        self.values = 0

    def _tick(self) -> None:
        self.values += 1
        if self.values > MAX_THRIFT_VALUES:
            raise _Refused(f"the footer holds more than {MAX_THRIFT_VALUES} metadata values; "
                           "write fewer, bigger row groups")

    def byte(self) -> int:
        if self.pos >= len(self.buf):
            raise _Malformed("the footer ends early")
        b = self.buf[self.pos]
        self.pos += 1
        return b

    def varint(self) -> int:
        out = shift = 0
        while True:
            b = self.byte()
            out |= (b & 0x7F) << shift
            if not b & 0x80:
                return out
            shift += 7
            if shift > 63:
                raise _Malformed("a number in the footer is too long")

    def advance(self, n: int) -> None:
        if n < 0 or self.pos + n > len(self.buf):
            raise _Malformed("the footer ends early")
        self.pos += n

    def field(self, last: int) -> tuple[int, int] | None:
        """(type, id) of the next field of a struct, None at its end."""
        b = self.byte()
        if b == 0:
            return None
        delta, ctype = b >> 4, b & 0x0F
        if delta:
            return ctype, last + delta
        z = self.varint()
        return ctype, (z >> 1) ^ -(z & 1)

    def list_header(self) -> tuple[int, int]:
        b = self.byte()
        size, etype = b >> 4, b & 0x0F
        if size == 15:
            size = self.varint()
        return size, etype

    def skip(self, ctype: int, depth: int = 0) -> None:
        self._tick()
        if depth > MAX_THRIFT_DEPTH:
            raise _Malformed("the footer is nested too deeply")
        if ctype in (1, 2):
            return
        if ctype == 3:
            self.advance(1)
        elif ctype in (4, 5, 6):
            self.varint()
        elif ctype == 7:
            self.advance(8)
        elif ctype == 8:
            self.advance(self.varint())
        elif ctype in (9, 10):
            size, etype = self.list_header()
            self.skip_elements(size, etype, depth)
        elif ctype == 11:
            size = self.varint()
            if size:
                kv = self.byte()
                for _ in range(size):
                    self.skip(kv >> 4, depth + 1)
                    self.skip(kv & 0x0F, depth + 1)
        elif ctype == 12:
            last = 0
            while (f := self.field(last)) is not None:
                self.skip(f[0], depth + 1)
                last = f[1]
        else:
            raise _Malformed(f"unknown value type {ctype} in the footer")

    def skip_elements(self, size: int, etype: int, depth: int) -> None:
        if etype in self.FIXED_IN_LIST:
            self.advance(size * self.FIXED_IN_LIST[etype])
            return
        for _ in range(size):
            self.skip(etype, depth + 1)


def footer_problem(footer: bytes) -> str | None:
    """Walk the FileMetaData struct and bound what a reader would allocate for it."""
    w = _Walker(footer)
    chunks = 0
    try:
        last = 0
        while (f := w.field(last)) is not None:
            ctype, fid = f
            last = fid
            if fid == 2 and ctype == 9:  # schema: list<SchemaElement>
                size, etype = w.list_header()
                if size > MAX_SCHEMA_ELEMENTS:
                    raise _Refused(f"the schema has {size} elements, more than the limit of {MAX_SCHEMA_ELEMENTS}")
                w.skip_elements(size, etype, 0)
            elif fid == 4 and ctype == 9:  # row_groups: list<RowGroup>
                size, etype = w.list_header()
                if size > PARQUET_MAX_ROW_GROUPS:
                    raise _Refused(f"the file has {size} row groups, more than the limit of "
                                   f"{PARQUET_MAX_ROW_GROUPS}; write fewer, bigger row groups")
                if etype != 12:
                    raise _Malformed("row groups are not structs")
                for _ in range(size):
                    chunks += _row_group(w, chunks)
            else:
                w.skip(ctype)
    except _Refused as exc:
        return str(exc)
    except _Malformed as exc:
        return f"unreadable parquet: the footer is not valid parquet metadata ({exc})"
    return None


def _row_group(w: _Walker, before: int) -> int:
    """Skip one RowGroup struct, bounding its column chunks; returns how many it has."""
    w._tick()
    n = 0
    last = 0
    while (f := w.field(last)) is not None:
        ctype, fid = f
        last = fid
        if fid == 1 and ctype == 9:  # columns: list<ColumnChunk>
            size, etype = w.list_header()
            if size > PARQUET_MAX_COLUMNS:
                raise _Refused(f"a row group has {size} columns, more than the limit of {PARQUET_MAX_COLUMNS}")
            if before + n + size > PARQUET_MAX_COLUMN_CHUNKS:
                raise _Refused(f"the file has more than {PARQUET_MAX_COLUMN_CHUNKS} column chunks "
                               "(row groups × columns); write fewer, bigger row groups")
            n += size
            w.skip_elements(size, etype, 1)
        else:
            w.skip(ctype, 1)
    return n


def check_parquet(path: Path, name: str) -> Problem | None:
    """The footer checks of one file of the drop (see the module docs); None when it may be read."""
    def problem(rule: str) -> Problem:
        code = "unreadable" if rule.startswith("unreadable") else "parquet_limit"
        return Problem(name, None, rule, code)

    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        what = "is a symbolic link" if exc.errno == errno.ELOOP else f"cannot be read ({exc.strerror})"
        return Problem(name, None, what, "unreadable")
    try:
        size = os.fstat(fd).st_size
        head = os.pread(fd, 4, 0)
        tail = os.pread(fd, 8, max(size - 8, 0))
        rule = trailer_problem(size, head, tail)
        if rule:
            return problem(rule)
        length = struct.unpack("<I", tail[:4])[0]
        footer = os.pread(fd, length, size - 8 - length)
        if len(footer) != length:
            return problem("unreadable parquet: the file changed while it was read")
        rule = footer_problem(footer)
        if rule:
            return problem(rule)
    except OSError as exc:
        return Problem(name, None, f"cannot be read ({exc.strerror})", "unreadable")
    finally:
        os.close(fd)
    try:
        with pq.ParquetFile(path) as pf:
            columns = pf.metadata.num_columns
    except Exception as exc:  # pyarrow raises several kinds for a broken footer
        return problem(f"unreadable parquet: {str(exc).splitlines()[0][:300] if str(exc) else type(exc).__name__}")
    if columns > PARQUET_MAX_COLUMNS:
        return problem(f"the file has {columns} columns, more than the limit of {PARQUET_MAX_COLUMNS}")
    return None
