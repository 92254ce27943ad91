import pytest

from xproj_lib.records import (ResultRecord, config_hash, package_versions, read_records, records_frame,
                               write_record)


def test_round_trip_and_frame(tmp_path):
    rec = ResultRecord.for_config("masakhaner2", "hau", "heuristic", {"aligner": "eflomal", "d": 1},
                                  metrics={"f1": 0.5, "per_type": {}}, timings={"project": 1.5}, seed=1)
    path = write_record(rec, tmp_path)
    assert path.name == f"heuristic-{config_hash({'d': 1, 'aligner': 'eflomal'})}.jsonl"
    back = read_records(tmp_path)
    assert back == [rec]
    frame = records_frame(back)
    assert frame.loc[0, "f1"] == 0.5 and frame.loc[0, "time_project"] == 1.5


def test_config_hash_depends_on_content_only():
    assert config_hash({"a": 1, "b": 2}) == config_hash({"b": 2, "a": 1})
    assert config_hash({"a": 1}) != config_hash({"a": 2})


def test_malformed_record_names_file_and_line(tmp_path):
    bad = tmp_path / "x" / "y.jsonl"
    bad.parent.mkdir()
    bad.write_text('{"dataset": "d"}\n')
    with pytest.raises(ValueError, match=r"y\.jsonl:1"):
        read_records(tmp_path)


def test_latest_record_per_cell_wins():
    from xproj_lib.records import latest_records

    old = ResultRecord.for_config("d", "l", "m", {"v": 1}, metrics={"f1": 0.1}, created="2026-01-01T00:00:00+00:00")
    new = ResultRecord.for_config("d", "l", "m", {"v": 2}, metrics={"f1": 0.2}, created="2026-02-01T00:00:00+00:00")
    seed = ResultRecord.for_config("d", "l", "m", {"v": 2}, seed=1, metrics={"f1": 0.3})
    assert latest_records([new, seed, old]) == [new, seed]


def test_atomic_write_gives_the_umask_mode_not_mkstemps_0600(tmp_path):
    import os
    import stat

    from xproj_lib.cache import atomic_write_text

    old = os.umask(0o022)
    try:
        target = tmp_path / "index.html"
        atomic_write_text(target, "<p>hi</p>")
    finally:
        os.umask(old)
    assert target.read_text() == "<p>hi</p>"
    assert stat.S_IMODE(target.stat().st_mode) == 0o644


def test_records_name_the_cpu_kernels_torch_dispatched_to():
    import torch

    versions = package_versions()
    assert versions["torch"] == torch.__version__
    assert versions["cpu_capability"] == torch.backends.cpu.get_cpu_capability() != ""
