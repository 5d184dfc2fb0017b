"""Inline reference code into notebooks: a function's body plus every helper it needs.

The course keeps one copy of each reference function, in `solutions/` (and of each known
mistake, in `autograder/mistakes.py`). A notebook cannot import those modules (students never
receive them), so the build copies the code in, taken from the modules with `inspect`/`ast`:

- `closure(funcs)` finds the module-level definitions (functions, classes, constants) of the
  inlinable modules that `funcs` use, directly or through each other, and the imports from
  other modules (numpy, tfcourse, typing ...) they need.
- `function_body(func, given)` renders `func`'s body with those helpers defined inside it, so
  that it can replace a stub's body; helpers that an earlier assignment already released (the
  names in `given`) are imported from the generated `given` module instead.
- `module_source(roots, header, exports)` renders the definitions `roots` and what they
  need as a stand-alone module whose `__all__` is `exports`.
"""
import ast
import builtins
import importlib
import inspect
import sys
import textwrap
from dataclasses import dataclass

# Modules whose definitions are copied (never imported) into what the build writes.
INLINABLE = ("solutions", "autograder.mistakes")
# Modules of solutions/ that the build ships whole, beside a notebook, under the name given
# (autograder/build.py: SHIPPED): code imports them, and the notebook imports that file.
SHIPPED = {"solutions.tiny_gpt": "tiny_gpt"}


def is_inlinable(module_name):
    return module_name not in SHIPPED and any(
        module_name == m or module_name.startswith(m + ".") for m in INLINABLE)


@dataclass(frozen=True)
class Definition:
    """One module-level statement that defines `name` in module `module`."""
    module: str
    name: str
    source: str
    line: int


@dataclass(frozen=True)
class Import:
    """`from module import name as alias` (or `import module as alias` when name is None)."""
    module: str
    name: str | None
    alias: str

    def render(self):
        module = SHIPPED.get(self.module, self.module)
        if self.name is None:
            return f"import {module}" + ("" if self.alias == self.module else f" as {self.alias}")
        return f"from {module} import {self.name}" + (
            "" if self.alias == self.name else f" as {self.alias}")


_MODULES = {}


def _module_table(module_name):
    """Map each top-level name of a module to its Definition or Import."""
    if module_name in _MODULES:
        return _MODULES[module_name]
    module = importlib.import_module(module_name)
    source = inspect.getsource(module)
    table = {}
    for node in ast.parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            start = min([node.lineno] + [d.lineno for d in node.decorator_list])
            text = "\n".join(source.splitlines()[start - 1:node.end_lineno])
            table[node.name] = Definition(module_name, node.name, text, start)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            text = ast.get_source_segment(source, node)
            for target in targets:
                for name in ast.walk(target):
                    if isinstance(name, ast.Name):
                        table[name.id] = Definition(module_name, name.id, text, node.lineno)
        elif isinstance(node, ast.ImportFrom):
            base = _resolve_relative(module_name, node)
            for alias in node.names:
                table[alias.asname or alias.name] = Import(base, alias.name,
                                                           alias.asname or alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                name = alias.asname or alias.name.split(".")[0]
                table[name] = Import(alias.name if alias.asname else name, None, name)
    _MODULES[module_name] = table
    return table


def _resolve_relative(module_name, node):
    if not node.level:
        return node.module
    package = module_name.rsplit(".", node.level)[0]
    return f"{package}.{node.module}" if node.module else package


def _used_names(source):
    """Every name a piece of code loads (a superset of the globals it needs)."""
    return {n.id for n in ast.walk(ast.parse(textwrap.dedent(source))) if isinstance(n, ast.Name)}


def _lookup(module_name, name):
    """Follow `name` in `module_name` through imports to a Definition, an Import, or None."""
    entry = _module_table(module_name).get(name)
    if isinstance(entry, Import) and entry.name is not None and is_inlinable(entry.module):
        target = _lookup(entry.module, entry.name)
        if target is None:
            raise LookupError(f"{module_name} imports {entry.name} from {entry.module}, "
                              f"which does not define it")
        return target
    return entry


def closure(roots, stop=()):
    """Return (definitions, imports) that the Definitions `roots` need, roots included.

    Definitions come in dependency-safe order (by module, then line); imports are sorted.
    A definition named in `stop` is included but not followed (a black box).
    """
    seen, imports, todo = {}, set(), list(roots)
    while todo:
        d = todo.pop()
        if (d.module, d.name) in seen:
            continue
        seen[(d.module, d.name)] = d
        if d.name in stop and d not in roots:
            continue
        for name in sorted(_used_names(d.source)):
            entry = _lookup(d.module, name)
            if isinstance(entry, Definition):
                todo.append(entry)
            elif isinstance(entry, Import):
                imports.add(entry)
            elif entry is None and not hasattr(builtins, name):
                pass  # a local variable or parameter
    order = {m: i for i, m in enumerate(_module_order([d.module for d in seen.values()]))}
    defs = sorted(seen.values(), key=lambda d: (order[d.module], d.line))
    return _dedupe(defs), sorted(imports, key=lambda i: (i.module, i.name or "", i.alias))


def _module_order(modules):
    """Modules ordered so that one imported by another comes first."""
    modules = sorted(set(modules))
    deps = {m: {e.module for e in _module_table(m).values()
                if isinstance(e, Import) and e.module in modules} for m in modules}
    ordered = []
    while len(ordered) < len(modules):
        ready = [m for m in modules if m not in ordered and deps[m] <= set(ordered)]
        ordered.append(ready[0] if ready else next(m for m in modules if m not in ordered))
    return ordered


def _dedupe(defs):
    """One statement can define several names (a, b = ...): keep it once."""
    out, sources = [], set()
    for d in defs:
        if (d.module, d.source) not in sources:
            sources.add((d.module, d.source))
            out.append(d)
    return out


def definition(func):
    """The Definition of a module-level function or class object."""
    entry = _module_table(func.__module__).get(func.__name__)
    if not isinstance(entry, Definition):
        raise LookupError(f"{func.__module__}.{func.__name__} is not a top-level definition")
    return entry


def split_function(source):
    """Split a function's source into (def line(s), docstring lines, body lines), dedented."""
    source = textwrap.dedent(source)
    node = ast.parse(source).body[0]
    lines = source.splitlines()
    body = node.body
    has_doc = (isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
               and isinstance(body[0].value.value, str))
    first_stmt = body[1] if has_doc and len(body) > 1 else body[0]
    header = lines[:body[0].lineno - 1]
    doc = lines[body[0].lineno - 1:body[0].end_lineno] if has_doc else []
    rest = lines[first_stmt.lineno - 1:] if not (has_doc and len(body) == 1) else []
    return header, doc, textwrap.dedent("\n".join(rest)).splitlines()


def signature_of(source):
    """The argument list of the first function in `source`, as text (for comparing stubs)."""
    node = ast.parse(textwrap.dedent(source)).body[0]
    return ast.unparse(node.args)


def render_imports(imports):
    """Import lines, one `from m import a, b` per module."""
    lines, by_module = [], {}
    for i in imports:
        if i.name is None or i.name != i.alias:
            lines.append(i.render())
        else:
            by_module.setdefault(i.module, []).append(i.name)
    lines += [f"from {SHIPPED.get(m, m)} import {', '.join(sorted(names))}"
              for m, names in sorted(by_module.items())]
    return lines


def function_body(func, given=(), note=None):
    """Render `func`'s body, with the helpers it needs defined first, indented by four spaces.

    Names in `given` (helpers released by earlier assignments) are imported from `given`
    instead of being copied. The result replaces a stub's body inside a solution region.
    """
    root = definition(func)
    defs, imports = closure([root])
    helpers = [d for d in defs if d != root and d.name not in given]
    needed = {n for d in [root] + helpers for n in _used_names(d.source)}
    from_given = sorted({d.name for d in defs if d.name in given and d.name in needed})
    lines = [f"# {note}"] if note else []
    lines += render_imports([i for i in imports if i.alias in needed])
    if from_given:
        lines.append(f"from given import {', '.join(from_given)}")
    for d in helpers:
        lines += d.source.splitlines()
    lines += split_function(root.source)[2]
    return textwrap.indent("\n".join(lines), "    ")


def module_source(roots, header, exports=None):
    """Render the Definitions `roots` and everything they need as one module's source.

    `exports`, if given, becomes the module's `__all__`: the names it offers (the rest are
    what those need)."""
    defs, imports = closure(roots)
    needed = {n for d in defs for n in _used_names(d.source)}
    parts = [f'"""{header}"""', "\n".join(render_imports([i for i in imports if i.alias in needed]))]
    if exports is not None:
        parts.append(textwrap.fill("__all__ = [" + ", ".join(map(repr, exports)) + "]", 99,
                                   subsequent_indent=" " * 11, break_long_words=False))
    parts += [d.source for d in defs]
    return "\n\n\n".join(p for p in parts if p) + "\n"


def clear_cache():
    """Forget parsed modules (after a source file changed in this process)."""
    _MODULES.clear()
    for name in list(sys.modules):
        if is_inlinable(name):
            importlib.reload(sys.modules[name])
