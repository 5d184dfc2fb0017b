"""Say at the top of every run whether the comparisons with PyTorch run."""
from tests.torch_reference import WHY, torch


def pytest_report_header(config):
    if torch is None:
        return f"PyTorch: NOT INSTALLED. {WHY}"
    return f"PyTorch: {torch.__version__} (the independent implementation the tests compare with)"
