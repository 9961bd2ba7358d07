"""Several processors: with -smp 1, 2 and 4 (one boot each) MyOS finds every
CPU in the ACPI MADT, starts the application processors, and says so in the
banner and in `cpu`; `bench parallel` stresses the parallel primitive (jobs
empty, tiny, large, of uneven cost per index; every result checked against a
serial computation in the OS) and Ctrl+C stops it between jobs with the shell
still working."""
import re
import time

import pytest

from .conftest import IMAGE
from myos.qemu import Machine

pytestmark = pytest.mark.qemu

PARALLEL = re.compile(r"parallel: (\d+) jobs, (\d+) indices on (\d+) CPUs in \d+ ms, (\d+) errors; "
                      r"indices per CPU:((?: \d+)+)")


@pytest.fixture(scope="module", params=[1, 2, 4], ids=lambda n: f"smp{n}")
def machine(request):
    if not IMAGE.exists():
        pytest.fail(f"{IMAGE} is missing: run `make image` (make test does)")
    m = Machine(smp=request.param).boot(IMAGE, timeout=90)
    yield request.param, m
    m.kill()


def test_banner_counts_the_cpus(machine):
    n, m = machine
    assert re.search(rf"MyOS kernel ready: {n} CPUs?,", m.transcript)


def test_cpu_lists_every_processor(machine):
    n, m = machine
    out = m.run("cpu")
    assert f"CPUs: {n} online" in out
    assert f"{n} listed in the ACPI MADT" in out
    listed = re.findall(r"^  cpu (\d+) +APIC id (\d+) +(boot CPU|started in \d+ us)", out, re.M)
    assert sorted(int(cpu) for cpu, _, _ in listed) == list(range(n))
    assert len({apic for _, apic, _ in listed}) == n
    assert [how for _, _, how in listed].count("boot CPU") == 1
    assert max(len(line) for line in out.splitlines()) < 80


def parallel_report(out: str):
    match = PARALLEL.search(out)
    assert match, out
    jobs, indices, cpus, errors = (int(match.group(i)) for i in range(1, 5))
    per_cpu = [int(x) for x in match.group(5).split()]
    return jobs, indices, cpus, errors, per_cpu


def test_parallel_stress_results_are_right(machine):
    n, m = machine
    out = m.run("bench parallel 400", 120)
    jobs, indices, cpus, errors, per_cpu = parallel_report(out)
    assert (jobs, cpus, errors) == (400, n, 0)
    assert "error:" not in out
    assert len(per_cpu) == n and sum(per_cpu) == indices
    if n > 1:
        assert sum(per_cpu[1:]) > 0, "no application processor took part"


def test_ctrl_c_stops_the_stress_and_the_shell_goes_on(machine):
    n, m = machine
    m.write("bench parallel 100000000\r")
    m.wait_for(r"bench parallel 100000000\r?\n", 10)
    time.sleep(1.5)
    m.sendkey("ctrl", "c")
    stopped = m.wait_for(r"\^C \(stopped\)\r?\n(parallel: [^\r\n]*)\r?\n", 60)
    jobs, _, cpus, errors, _ = parallel_report(stopped.group(1).decode())
    assert 0 < jobs < 100000000 and cpus == n and errors == 0
    m.wait_for(r"myos> ", 10)
    assert m.run("echo still here").strip() == "still here"


def test_bad_job_count_is_an_error_line(machine):
    _, m = machine
    assert m.run("bench parallel lots").startswith("error: bench parallel JOBS")
    assert m.run("bench parallel 0").startswith("error: bench parallel JOBS")


def test_crash_ap_with_one_cpu_is_an_error_line(machine):
    n, m = machine
    if n > 1:
        pytest.skip("test_smp_panic.py crashes an AP (the machine halts)")
    assert m.run("crash ap").startswith("error: crash ap needs a second CPU")
