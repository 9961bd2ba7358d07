"""kernel/fs on the host: the FAT32 code writes through the harness, mtools reads
back byte for byte, fsck.fat must find nothing to fix, and the error paths give
one clear line without damaging the volume."""
import os

import pytest

from tests.fs.fatimage import (check_consistent, clusters_of, count_free, make_image, mlist, mread,
                               mtools, patch, root_entry_cluster, set_fat_entry)


def test_files_of_many_sizes_read_back_by_mtools(tmp_path, fat):
    img = make_image(tmp_path / "d.img")
    sizes = [0, 1, 511, 512, 513, 4095, 4096, 4097, 70000, 300001]
    # Different write sizes exercise partial-sector and partial-cluster paths.
    chunks = [7, 1, 100, 512, 7, 1000, 4096, 513, 65536, 1 << 20]
    cmds, expect = [("mkdir", "/Data Files"), ("mkdir", "/Data Files/Second Level")], {}
    for i, n in enumerate(sizes):
        data = os.urandom(n)
        src = tmp_path / f"src{i}"
        src.write_bytes(data)
        path = f"/Data Files/Second Level/A rather long file name number {i}.bin"
        cmds.append(("put", src, path, chunks[i]))
        expect[path] = data
    fat(img).run(*cmds)
    for path, data in expect.items():
        assert mread(img, path) == data, path
    names = mlist(img, "/Data Files/Second Level")
    assert len(names) == len(sizes)
    # "." and ".." are understood, names match whatever their case.
    out = fat(img).run(("stat", "/data files/../DATA FILES/./second level/../Second Level/"
                        "a rather long file name number 9.BIN"), ("stat", "/Data Files/.."),
                       ("stat", "/.."))
    assert out.splitlines() == [f"file {sizes[9]}", "dir 0", "dir 0"]
    check_consistent(img, tmp_path)


def test_reads_what_mtools_wrote(tmp_path, fat):
    data = os.urandom(1_000_003)
    img = make_image(tmp_path / "d.img", dirs=["/MODELS"],
                     files={"/MODELS/SmolLM-like Model.Q4_1.gguf": data})
    out_file = tmp_path / "out"
    out = fat(img).run(("get", "/models/smollm-LIKE model.q4_1.GGUF", out_file), ("ls", "/MODELS"))
    assert out_file.read_bytes() == data
    assert "SmolLM-like Model.Q4_1.gguf" in out and str(len(data)) in out


def test_overwrite_truncate_append_delete(tmp_path, fat):
    img = make_image(tmp_path / "d.img")
    free0 = count_free(img)
    big, small, tail = os.urandom(200_000), b"short now\n", os.urandom(9000)
    for name, data in (("big", big), ("small", small), ("tail", tail)):
        (tmp_path / name).write_bytes(data)
    h = fat(img)
    h.run(("put", tmp_path / "big", "/over.dat"), ("put", tmp_path / "small", "/over.dat"))
    assert mread(img, "/over.dat") == small
    check_consistent(img, tmp_path)
    h.run(("append", tmp_path / "tail", "/over.dat"), ("append", tmp_path / "small", "/over.dat"))
    assert mread(img, "/over.dat") == small + tail + small
    h.run(("put", tmp_path / "big", "/cut.dat"), ("truncate", "/cut.dat", 5000))
    assert mread(img, "/cut.dat") == big[:5000]
    check_consistent(img, tmp_path)
    h.run(("rm", "/over.dat"), ("rm", "/CUT.DAT"))
    assert mlist(img) == []
    assert count_free(img) == free0
    check_consistent(img, tmp_path)


def test_short_aliases_are_unique_and_valid(tmp_path, fat):
    img = make_image(tmp_path / "d.img")
    (tmp_path / "x").write_bytes(b"x")
    names = ["Long Name One.txt", "Long Name Two.txt", "README.TXT", "readme2.txt",
             "a+b=c.[x]", ".hidden", "archive.tar.gz", "ALLUPPER.TXTX"]
    fat(img).run(*[("put", tmp_path / "x", "/" + n) for n in names])
    assert mlist(img) == sorted(names)
    short = mtools_short_names(img)
    assert len(set(short)) == len(names)
    assert "README  TXT" in short and "LONGNA~1TXT" in short and "LONGNA~2TXT" in short
    check_consistent(img, tmp_path)


def mtools_short_names(img):
    """8.3 names (11 chars, no dot) as mdir shows them in its first columns."""
    out = mtools("mdir", img, "::/").decode(errors="replace").splitlines()
    return [line[:8] + line[9:12] for line in out
            if len(line) > 12 and line[8] == " " and not line.startswith((" ", "Directory"))]


def test_directories(tmp_path, fat):
    img = make_image(tmp_path / "d.img")
    (tmp_path / "f").write_bytes(b"hello\n")
    h = fat(img)
    # Enough entries to grow the directory beyond one cluster.
    h.run(("mkdir", "/many"), *[("put", tmp_path / "f", f"/many/file with long name {i:03}")
                                for i in range(40)])
    assert len(mlist(img, "/many")) == 40
    out = h.run(("mkdir", "/many"), ("rm", "/many"), ("rm", "/"), ("mkdir", "/many/x/y"),
                ("ls", "/many/file with long name 001"), expect_ok=False)
    lines = out.splitlines()
    assert lines[0].startswith("error: already exists")
    assert lines[1].startswith("error: directory not empty")
    assert lines[2].startswith("error: invalid argument")
    assert lines[3].startswith("error: no such file or directory")
    assert lines[4].startswith("error: not a directory")
    h.run(*[("rm", f"/many/file with long name {i:03}") for i in range(40)], ("rm", "/many"))
    assert mlist(img) == []
    check_consistent(img, tmp_path)


def test_invalid_names(tmp_path, fat):
    img = make_image(tmp_path / "d.img")
    (tmp_path / "f").write_bytes(b"x")
    out = fat(img).run(("put", tmp_path / "f", "/bad*name"), ("put", tmp_path / "f", "/x" * 1 + "y" * 300),
                       ("mkdir", "/trailing."), expect_ok=False)
    assert [line.split(" (")[0] for line in out.splitlines()] == ["error: invalid argument"] * 3
    assert mlist(img) == []
    check_consistent(img, tmp_path)


def test_disk_full_changes_nothing(tmp_path, fat):
    img = make_image(tmp_path / "d.img", size_mb=40)
    free = count_free(img)
    filler = tmp_path / "filler"
    filler.write_bytes(os.urandom((free - 4) * 512))     # leaves 4 clusters of 512 bytes
    fat(img).run(("put", filler, "/filler.bin", 1 << 20))
    assert count_free(img) == 4
    (tmp_path / "big").write_bytes(os.urandom(10_000))
    (tmp_path / "ok").write_bytes(b"fits\n")
    out = fat(img).run(("put", tmp_path / "big", "/big.bin"), ("put", tmp_path / "ok", "/ok.txt"),
                       expect_ok=False)
    lines = out.splitlines()
    assert lines[0].startswith("error: disk full"), out
    assert lines[1] == "ok"
    assert mread(img, "/ok.txt") == b"fits\n"
    assert mread(img, "/big.bin") == b""        # created empty, no data written
    assert mread(img, "/filler.bin") == filler.read_bytes()
    check_consistent(img, tmp_path)


@pytest.mark.parametrize("bad_link", [0, 0x0FFFFFF7, 0x0FFFFFF0])
def test_bad_cluster_chain_is_reported(tmp_path, fat, bad_link):
    img = make_image(tmp_path / "d.img", files={"/BIG.BIN": os.urandom(50_000)})
    first = root_entry_cluster(img, b"BIG     BIN")
    set_fat_entry(img, first + 3, bad_link)
    before = img.read_bytes()
    (tmp_path / "new").write_bytes(b"new file\n")
    out = fat(img).run(("get", "/BIG.BIN", tmp_path / "o"), ("rm", "/big.bin"),
                       ("save", tmp_path / "new", "/NEW.BIN"), ("ls", "/"), ("mountnote",), expect_ok=False)
    lines = out.splitlines()
    assert lines[0].startswith("error: filesystem corrupt (bad cluster chain"), out
    # The mount found the damage: the volume is read-only until fsck.fat repairs it.
    refused = "error: read-only volume (the volume is damaged; fsck.fat can repair it)"
    assert lines[1:3] == [refused, refused], out
    assert lines[3].endswith("BIG.BIN"), out
    assert lines[4].startswith("damaged, mounted read-only for fsck.fat to repair: filesystem corrupt"), out
    assert img.read_bytes() == before


@pytest.mark.parametrize("offset,data,why", [
    (11, b"\x00\x04", "bytes per sector"),
    (13, b"\x03", "sectors per cluster"),
    (510, b"\x00\x00", "55AA"),
    (44, b"\xff\xff\xff\x0f", "root directory cluster"),
    (36, b"\x01\x00\x00\x00", "FAT too small"),
])
def test_corrupt_boot_sector_is_refused(tmp_path, fat, offset, data, why):
    img = make_image(tmp_path / "d.img")
    patch(img, offset, data)
    out = fat(img).run(("ls", "/"), expect_ok=False)
    first, second = out.splitlines()
    assert first.startswith("error: not a valid FAT32 volume") and why in first, out
    assert second.startswith("error: no filesystem mounted") and why in second, out


def test_missing_partition_is_refused(tmp_path, fat):
    img = make_image(tmp_path / "d.img")
    with open(img, "r+b") as f:
        f.seek(446 + 4)
        f.write(b"\x83")            # a Linux partition, not FAT32
    out = fat(img).run(expect_ok=False)
    assert out.strip() == "error: not a valid FAT32 volume (no FAT32 partition in the MBR)"


def test_fragmented_file(tmp_path, fat):
    """A file written into scattered one-cluster holes, in a single write:
    requests must split wherever the chain jumps."""
    img = make_image(tmp_path / "d.img", size_mb=40)
    one = tmp_path / "one"
    one.write_bytes(os.urandom(512))
    h = fat(img)
    h.run(*[("put", one, f"/f{i:02}") for i in range(30)])
    filler = tmp_path / "filler"
    filler.write_bytes(b"\x5a" * (count_free(img) * 512))
    h.run(("put", filler, "/filler.bin", 1 << 20))
    assert count_free(img) == 0
    h.run(*[("rm", f"/f{i:02}") for i in range(0, 30, 2)])
    data = os.urandom(15 * 512)
    (tmp_path / "x").write_bytes(data)
    h.run(("put", tmp_path / "x", "/scattered.bin", 1 << 20), ("get", "/scattered.bin", tmp_path / "back"))
    assert (tmp_path / "back").read_bytes() == data
    assert mread(img, "/scattered.bin") == data
    chain = clusters_of(img, "/scattered.bin")
    assert len(chain) == 15 and all(b - a > 1 for a, b in zip(chain, chain[1:]))   # no two adjacent
    check_consistent(img, tmp_path)
