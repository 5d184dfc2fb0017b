"""The one function of the grader a Dask scheduler ever unpickles.

The scheduler unpickles every task it schedules, and it need not have the course installed (a
JupyterHub's dask-gateway scheduler has not). So a task is this function, sent by value
(cloudpickle), with plain data as arguments: it names the grader's function to call, which only
the worker imports.
"""


def call(name, *args):
    """Call the function `name` ("package.module.function") with `args`; return its result."""
    import importlib
    module, _, function = name.rpartition(".")
    return getattr(importlib.import_module(module), function)(*args)
