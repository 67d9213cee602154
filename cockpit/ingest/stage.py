"""Copy a drop folder into staging, so that what is validated is exactly what is published.

The drop folder belongs to the data provider and is untrusted: a file could be rewritten after
it was validated, or be a link to something outside the folder. So the ingest first copies the
folder's manifest.json and `*.parquet` files into STORE/staging/<run>/drop/ and validates and
publishes that copy, which nobody else writes. The original folder is only read.

Each entry is looked at without following links: symbolic links and anything that is not a
regular file (FIFO, socket, device) are refused by name and not copied (`entry_problem`); a
file is opened with O_NOFOLLOW (and O_NONBLOCK, so nothing can block the open), must still be the
regular file that was listed, and must not change while it is copied (size, mtime and ctime are
compared before and after; a file being written is refused, to be sent again when complete).
A parquet file whose trailer is broken or whose footer is too big is not copied at all (see
`cockpit.ingest.validate.parquet`). Other entries (README, sub-folders) are ignored.
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from cockpit.contract import MANIFEST_FILE, MANIFEST_MAX_BYTES
from cockpit.ingest.validate import Problem, entry_problem, shown_name, trailer_problem

_CHUNK = 8 * 1024 * 1024


@dataclass
class StagedDrop:
    """The outcome of `copy_drop`: `ok` is False when the folder itself cannot be read (then
    nothing was copied and `problems` says why); `problems` otherwise lists the entries refused."""

    ok: bool
    problems: list[Problem] = field(default_factory=list)
    files: list[str] = field(default_factory=list)  # names copied
    bytes: int = 0


def copy_drop(folder: Path, dest: Path) -> StagedDrop:
    """Copy the drop's manifest.json and parquet files into `dest` (created; must not exist)."""
    try:
        dfd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError:
        return StagedDrop(False, [Problem("(folder)", None, f"drop folder {shown_name(str(folder))} does not "
                                          "exist or is not a folder", "folder")])
    out = StagedDrop(True)
    try:
        dest.mkdir()
        with os.scandir(dfd) as it:
            entries = sorted(it, key=lambda e: e.name)
        for entry in entries:
            name = entry.name
            try:
                st = entry.stat(follow_symlinks=False)
            except FileNotFoundError:
                continue  # gone meanwhile
            problem = entry_problem(name, st.st_mode)
            if problem is not None:
                if not (stat.S_ISDIR(st.st_mode) and name.endswith(".parquet")):
                    out.problems.append(problem)
                    continue
                # a directory named like a table: the copy gets an (empty) directory of that
                # name, so the validation reports it as it always did
                (dest / name).mkdir()
                continue
            if not stat.S_ISREG(st.st_mode) or not (name == MANIFEST_FILE or name.endswith(".parquet")):
                continue
            problem = _copy_file(dfd, name, st, dest / name)
            if problem is not None:
                out.problems.append(problem)
            else:
                out.files.append(name)
                out.bytes += st.st_size
    finally:
        os.close(dfd)
    return out


def _copy_file(dfd: int, name: str, listed: os.stat_result, dst: Path) -> Problem | None:
    """Copy one regular file of the folder; a problem when it is not (any more) safe to take."""
    shown = shown_name(name)
    try:
        fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC, dir_fd=dfd)
    except OSError as exc:
        if exc.errno == errno.ELOOP:  # replaced by a link since it was listed
            return entry_problem(name, stat.S_IFLNK)
        return Problem(shown, None, f"cannot be read ({exc.strerror})", "unreadable")
    try:
        before = os.fstat(fd)
        if not stat.S_ISREG(before.st_mode):
            return entry_problem(name, before.st_mode)
        if (before.st_dev, before.st_ino) != (listed.st_dev, listed.st_ino):
            return _changed(shown)
        size = before.st_size
        if name == MANIFEST_FILE and size > MANIFEST_MAX_BYTES:
            return Problem(shown, None, f"is {size} bytes, more than the limit of {MANIFEST_MAX_BYTES} bytes "
                           '(it only needs {"as_of": "YYYY-MM-DD"})', "manifest_size")
        if name.endswith(".parquet"):
            rule = trailer_problem(size, os.pread(fd, 4, 0), os.pread(fd, 8, max(size - 8, 0)))
            if rule is not None:
                code = "unreadable" if rule.startswith("unreadable") else "parquet_limit"
                return Problem(shown, None, rule, code)
        copied = _copy_bytes(fd, dst, size)
        after = os.fstat(fd)
        if copied != size or (after.st_size, after.st_mtime_ns, after.st_ctime_ns) != \
                (size, before.st_mtime_ns, before.st_ctime_ns):
            dst.unlink(missing_ok=True)
            return _changed(shown)
    except OSError as exc:
        dst.unlink(missing_ok=True)
        if exc.errno == errno.ENOSPC:
            raise  # the store's disk is full: not the drop's fault (cli_ingest reports it)
        return Problem(shown, None, f"cannot be read ({exc.strerror})", "unreadable")
    finally:
        os.close(fd)
    return None


def _changed(shown: str) -> Problem:
    return Problem(shown, None, "changed while the drop was being copied; send the drop again once every "
                   "file is complete", "changed")


def _copy_bytes(src: int, dst: Path, size: int) -> int:
    """Copy the first `size` bytes of `src` into a new file `dst`; returns how many there were."""
    out = os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644)
    done = 0
    try:
        while done < size:
            try:
                n = os.sendfile(out, src, done, min(_CHUNK, size - done))
            except OSError as exc:
                if exc.errno not in (errno.EINVAL, errno.ENOSYS, errno.EXDEV, errno.EOPNOTSUPP):
                    raise
                n = _copy_slow(src, out, done, size - done)
            if n == 0:
                break  # the file shrank
            done += n
    finally:
        os.close(out)
    return done


def _copy_slow(src: int, out: int, offset: int, count: int) -> int:
    data = os.pread(src, min(_CHUNK, count), offset)
    view = memoryview(data)
    while view:
        view = view[os.write(out, view):]
    return len(data)
