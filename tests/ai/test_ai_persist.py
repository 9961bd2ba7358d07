"""Settings, the system prompt and the chosen model survive a reboot: a second
QEMU run on the same image (written through, not a snapshot) finds what the
first one saved in /MYOS/, and the host reads the same files with mtools."""
import shutil
import subprocess

import pytest

from myos.image import ENV, PART_START, SECTOR
from myos.qemu import Machine

from .conftest import AI_BUILD, STORIES, configure

pytestmark = pytest.mark.qemu


def mtype(image, path: str) -> str:
    return subprocess.run(["mtype", "-i", f"{image}@@{PART_START * SECTOR}", "::" + path], env=ENV,
                          capture_output=True, text=True, check=True).stdout


@pytest.fixture(scope="module")
def image(ai_image):
    copy = AI_BUILD / "persist.img"
    shutil.copyfile(ai_image, copy)
    return copy


def test_settings_and_system_prompt_survive_a_reboot(image):
    with Machine(snapshot=False).boot(image) as m:
        configure(m, temperature=0.5, seed=7, max_tokens=33, top_p=0.9, ctx=1024)
        assert m.run("system You are a pirate. Answer in one sentence.").strip() == ""
        assert f"loaded {STORIES}" in m.run(f"model {STORIES}", 60)
        assert m.poweroff() is not None
    saved = mtype(image, "/MYOS/SETTINGS.TXT")
    assert "temperature 0.5\n" in saved and "seed 7\n" in saved and f"model {STORIES}\n" in saved
    assert mtype(image, "/MYOS/SYSTEM.TXT") == "You are a pirate. Answer in one sentence."
    # Damage the file a little: bad lines are reported and skipped, not fatal.
    edited = AI_BUILD / "settings.txt"
    edited.write_text(saved + "bogus 1\ntemperature hot\n")
    subprocess.run(["mcopy", "-o", "-i", f"{image}@@{PART_START * SECTOR}", str(edited), "::/MYOS/SETTINGS.TXT"],
                   env=ENV, check=True)

    with Machine(snapshot=False).boot(image) as m:
        # The file is read at boot: its bad lines are reported there, once.
        warnings = [line for line in m.transcript.splitlines() if line.startswith("warning:")]
        assert len(warnings) == 2 and "unknown setting 'bogus'" in warnings[0], m.transcript
        assert "'hot' is not a number" in warnings[1]
        out = m.run("set").splitlines()
        assert not any(line.startswith("warning:") for line in out), out
        shown = dict(line.split(None, 1) for line in out if line.strip())
        assert (shown["temperature"], shown["seed"], shown["max_tokens"], shown["top_p"], shown["ctx"]) == \
            ("0.5", "7", "33", "0.9", "1024")
        assert shown["model"] == STORIES
        assert m.run("system").strip() == "You are a pirate. Answer in one sentence."
        assert f"loading {STORIES}" in m.run("ai Once upon a time", 60)
        assert m.run("system default").strip() == ""
        assert m.run("system").strip() == "(the model's default system prompt)"
        m.poweroff()
    assert subprocess.run(["mtype", "-i", f"{image}@@{PART_START * SECTOR}", "::/MYOS/SYSTEM.TXT"],
                          env=ENV, capture_output=True).returncode != 0, "system default removes the file"
