"""The package's imports flow one way: no module imports, directly or through others, a module
that imports it back, and each layer imports only the layers below it.

The imports are read from the source with ``ast`` (every ``import`` statement, at the top of a
file or inside a function), so a cycle hidden in a function body fails too.
"""

import ast
from pathlib import Path

import pytest

import tinygrad_cnn

PACKAGE_ROOT = Path(tinygrad_cnn.__file__).parent
PACKAGE = "tinygrad_cnn"


def module_name(path):
    parts = path.relative_to(PACKAGE_ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def all_modules():
    return {module_name(path): path for path in PACKAGE_ROOT.rglob("*.py")}


def imported_modules(path, modules):
    """The package modules that ``path`` names in an import statement.

    ``from tinygrad_cnn.ops import movement`` names the module ``tinygrad_cnn.ops.movement``;
    ``from tinygrad_cnn.tensor import Tensor`` names ``tinygrad_cnn.tensor``. The parents of a
    module (packages whose ``__init__`` Python runs first) are not counted: a package that
    re-exports its modules would otherwise be in a cycle with each of them.
    """
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                submodule = f"{node.module}.{alias.name}"
                found.add(submodule if submodule in modules else node.module)
    return {name for name in found if name in modules}


def import_graph():
    modules = all_modules()
    return {name: imported_modules(path, modules) - {name} for name, path in modules.items()}


def cycles(graph):
    """The strongly connected components with more than one module (Tarjan's algorithm)."""
    index, low, on_stack, stack, found = {}, {}, set(), [], []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_cycles_finds_a_cycle_and_only_cycles():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert cycles(graph) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_the_package_has_no_import_cycle():
    found = cycles(import_graph())
    assert found == [], "import cycles: " + "; ".join(" <-> ".join(c) for c in found)


def test_imports_are_read_from_function_bodies_too():
    graph = import_graph()
    # ops/conv.py imports the Numba kernels inside a function (to keep imports light)
    assert f"{PACKAGE}.kernels" in graph[f"{PACKAGE}.ops.conv"]
    assert f"{PACKAGE}.kernels.fast" in graph[f"{PACKAGE}.kernels"]


# What each layer may import from the package, bottom up (DESIGN.md's layering:
# cli -> training -> models/nn -> functional -> ops -> kernels).
ALLOWED = {
    "kernels": {"kernels"},
    "autograd": set(),
    "ops": {"ops", "autograd", "kernels"},
    "tensor": {"autograd", "ops", "rng"},
    "functional": {"functional", "autograd", "ops", "tensor", "rng"},
}


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_each_low_layer_imports_only_layers_below_it(layer):
    graph = import_graph()
    prefix = f"{PACKAGE}.{layer}"
    allowed = {f"{PACKAGE}.{name}" for name in ALLOWED[layer]}
    for module, targets in graph.items():
        if module != prefix and not module.startswith(prefix + "."):
            continue
        for target in targets:
            assert any(target == a or target.startswith(a + ".") for a in allowed), (
                f"{module} imports {target}, above its layer"
            )
