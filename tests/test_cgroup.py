"""Which memory cgroup the grader uses and what it writes there, on a cgroup filesystem laid out
in a folder. This machine has cgroup v1's memory controller, so the v2 path is checked here on
its files (what the kernel enforces from them is the kernel's); tests/test_sandbox.py checks the
real limit on whichever version the machine has."""
import subprocess

import pytest

from autograder.engine import cgroup


@pytest.fixture
def fake(tmp_path, monkeypatch):
    """A cgroup v2 tree whose grader group is /grader; returns that folder."""
    mount = tmp_path / "cgroup2"
    folder = mount / "grader"
    folder.mkdir(parents=True)
    monkeypatch.setattr(cgroup, "_mounts", lambda: [(str(mount), "cgroup2", ["rw"])])
    monkeypatch.setattr(cgroup, "_own_groups", lambda: {"": "/grader"})
    monkeypatch.setattr(cgroup, "_PARENT", None)
    return folder


def test_cgroup_v2_is_used_where_the_graders_group_delegates_memory(fake):
    (fake / "cgroup.subtree_control").write_text("cpu memory pids\n")
    assert cgroup.status() is None and cgroup._PARENT == (2, fake)
    group = cgroup.MemoryGroup.create(3 << 30)
    assert group.folder.parent == fake and group.version == 2
    assert (group.folder / "memory.max").read_text() == str(3 << 30)
    assert (group.folder / "memory.swap.max").read_text() == "0"


def test_the_v2_group_takes_the_kernel_in_and_reads_its_peak_and_oom_kills(fake):
    (fake / "cgroup.subtree_control").write_text("memory")
    group = cgroup.MemoryGroup.create(1 << 30)
    run = subprocess.run([*group.enter_argv(), "sh", "-c", "echo $$"], capture_output=True,
                         text=True, check=True)
    assert (group.folder / "cgroup.procs").read_text().split() == run.stdout.split()
    (group.folder / "memory.peak").write_text("123456\n")
    (group.folder / "memory.events").write_text("low 0\nhigh 0\nmax 7\noom 1\noom_kill 0\n")
    assert group.peak() == 123456 and not group.oom_killed()
    (group.folder / "memory.events").write_text("low 0\nhigh 0\nmax 7\noom 1\noom_kill 2\n")
    assert group.oom_killed()


def test_without_a_delegated_memory_controller_the_grader_says_why(fake):
    (fake / "cgroup.subtree_control").write_text("cpu pids")
    assert "does not delegate the memory controller" in cgroup.status()
    assert cgroup.MemoryGroup.create(1 << 30) is None


def test_a_machine_without_cgroups_is_named(monkeypatch):
    monkeypatch.setattr(cgroup, "_mounts", lambda: [])
    monkeypatch.setattr(cgroup, "_PARENT", None)
    assert cgroup.status() == "this machine has no cgroup memory controller"
