"""tfcourse.reproduce: the recorded environment, what differs from it, fingerprints, bands."""
import json
import platform
from pathlib import Path

import numpy as np

from tfcourse import reproduce


def test_the_environment_names_python_numpy_and_the_blas_with_its_kernels():
    env = reproduce.environment()
    assert env["python"] == platform.python_version() and env["numpy"] == np.__version__
    assert env["BLAS"].startswith("OpenBLAS 0.") and len(env["BLAS"].split()) == 3  # + kernels
    assert set(env) == {"python", "numpy", "numpy SIMD", "BLAS", "machine"}


def test_record_writes_beside_the_artifact_and_recorded_reads_it_back(tmp_path):
    artifact = tmp_path / "model_gru.npz"
    assert reproduce.versions_path(artifact) == tmp_path / "model_gru.versions.json"
    assert reproduce.recorded(artifact) == {}
    reproduce.record(artifact, "python scripts/x.py")
    stored = json.loads(reproduce.versions_path(artifact).read_text())
    assert stored["made by"] == "in the course repository, for instructors: python scripts/x.py"
    assert reproduce.recorded(artifact) == reproduce.environment()


def test_made_by_marks_a_repository_command_and_leaves_a_student_command_as_it_is():
    assert (reproduce.made_by("python scripts/make_pretrained.py")
            == "in the course repository, for instructors: python scripts/make_pretrained.py")
    assert (reproduce.made_by("python -m tfcourse.char_corpus --out data")
            == "python -m tfcourse.char_corpus --out data")
    assert reproduce.made_by("python -m autograder build").startswith(reproduce.FOR_INSTRUCTORS)


def test_differences_name_each_version_that_changed_and_nothing_else():
    here = reproduce.environment()
    assert reproduce.differences(here) == ""
    was = dict(here, numpy="2.4.6" if here["numpy"] != "2.4.6" else "2.5.5", BLAS="OpenBLAS 0.3.1 Haswell")
    assert reproduce.differences(was) == (f"numpy {was['numpy']} then, {here['numpy']} here; "
                                          f"BLAS OpenBLAS 0.3.1 Haswell then, {here['BLAS']} here")
    assert reproduce.differences({}) == "no environment was recorded beside the artifact"


def test_a_fingerprint_changes_with_any_bit_key_dtype_or_shape():
    arrays = {"w": np.arange(6.0).reshape(2, 3), "ids": np.arange(3)}
    same = reproduce.fingerprint({"ids": np.arange(3), "w": np.arange(6.0).reshape(2, 3)})
    assert reproduce.fingerprint(arrays) == same
    for changed in ({"w": np.nextafter(arrays["w"], 9)}, {"w": arrays["w"].reshape(3, 2)},
                    {"ids": arrays["ids"].astype(np.int32)}, {"extra": np.zeros(0)}):
        assert reproduce.fingerprint({**arrays, **changed}) != same


def test_outside_bands_reports_each_statistic_that_moved_too_far():
    stored = {"accuracy": 0.90, "loss": 0.30}
    assert reproduce.outside_bands(stored, {"accuracy": 0.85, "loss": 0.30}, {"accuracy": 0.1}) == []
    assert reproduce.outside_bands(stored, {"accuracy": 0.70, "loss": 0.9},
                                   {"accuracy": 0.1, "loss": 0.5}) == [
        "accuracy: stored 0.9, fresh 0.7, differ by 0.2 > band 0.1",
        "loss: stored 0.3, fresh 0.9, differ by 0.6 > band 0.5"]
    assert reproduce.outside_bands(stored, {"accuracy": float("nan"), "loss": 0.3},
                                   {"accuracy": 0.1}) != []


def test_json_differences_allow_1e12_in_floats_and_nothing_else():
    stored = {"cases": [{"array": [1.0, -2.5, 1e6]}, {"label": "gru", "n": 3}]}
    close = {"cases": [{"array": [1.0 + 1e-13, -2.5, 1e6 + 1e-7]}, {"label": "gru", "n": 3}]}
    assert reproduce.json_differences(stored, close) == []
    far = {"cases": [{"array": [1.0 + 1e-10, -2.5, 1e6]}, {"label": "lstm", "n": 4}]}
    assert reproduce.json_differences(stored, far) == [
        f".cases[0].array[0]: 1.0 vs {1.0 + 1e-10!r}", ".cases[1].label: gru vs lstm",
        ".cases[1].n: 3 vs 4"]
    assert reproduce.json_differences(stored, {"cases": []}) == [
        f".cases: {str(stored['cases'])[:80]} vs []"]
    assert reproduce.json_differences([1.0], [None]) == ["[0]: 1.0 vs None"]
    inf, nan = float("inf"), float("nan")
    assert reproduce.json_differences([-inf, nan, inf], [-inf, nan, inf]) == []
    assert len(reproduce.json_differences([-inf, nan, 1.0], [inf, 0.0, nan])) == 3


def test_check_file_prints_the_fingerprint_why_it_differs_and_which_versions_differ(tmp_path, capsys):
    artifact = tmp_path / "run.npz"
    arrays = {"w": np.arange(3.0)}
    np.savez(artifact, **arrays)
    reproduce.record(artifact, "python scripts/x.py")
    assert reproduce.check_file(artifact, arrays, lambda stored, fresh, env: [])
    out = capsys.readouterr().out
    assert f"fingerprint {reproduce.fingerprint(arrays)}" in out
    assert f"{artifact}: reproduced (environment: the one recorded)" in out
    env = json.loads(reproduce.versions_path(artifact).read_text())
    reproduce.versions_path(artifact).write_text(json.dumps(dict(env, numpy="1.0")))
    assert not reproduce.check_file(artifact, arrays, lambda stored, fresh, env: ["w moved"])
    assert (f"{artifact}: DIFFERS from a fresh run.\n  w moved\n  environment: numpy 1.0 then, "
            f"{np.__version__} here") in capsys.readouterr().out


def test_every_trained_or_computed_artifact_in_data_records_the_environment_that_made_it():
    data = Path(__file__).resolve().parents[1] / "data"
    artifacts = [path for folder in ("pretrained", "experiments") for path in sorted((data / folder).iterdir())
                 if path.suffix in (".npz", ".json") and not path.name.endswith(".versions.json")]
    assert len(artifacts) >= 4
    for artifact in [*artifacts, data / "reference"]:
        assert set(reproduce.recorded(artifact)) == set(reproduce.environment()), artifact.name
