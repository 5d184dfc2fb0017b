"""Mutation operators: the ways a student's answer departs from the reference, each with the
sentence that names it and says how to fix it (written once, here).

An operator has an `id` and `sites(fdef, function)`, which yields a Site for every place in a
reference function's syntax tree where it applies (engine.py). Sentences speak of the
exercise's own terms (gates, steps, inputs, the formula the notebook states), never of the
reference's code beyond what the exercise's statement shows.
"""
import ast
import itertools

from autograder.mutations.engine import Site, nodes, parents, replace

# What the student calls each name the reference uses.
ROLES = {"i": "the input gate i", "f": "the forget gate f", "g": "the candidate g",
         "o": "the output gate o", "r": "the reset gate r", "z": "the update gate z",
         "n": "the candidate n", "c_next": "tanh(c_next) in h_next = o * tanh(c_next)",
         "h_next": "h_next"}
BIASES = {"b": "the bias b", "b_x": "the input-side bias b_x",
          "b_h": "the hidden-side bias b_h (each gate adds h_prev @ W_h + b_h)",
          "b_y": "the output bias b_y: logits = h_t @ W_y + b_y"}
RESULTS = {"lstm_step": ("h_next", "c_next"), "rnn_step": ("h_next",), "gru_step": ("h_next",)}
ACTIVATIONS = {"tanh": "tanh", "sigmoid": "a sigmoid", "relu": "a ReLU",
               "identity": "no activation at all"}
_FIX_START = "x_0 = decoder_params['start'] at step 0, and x_t = target_seq[t-1] for t >= 1"
# Sentences of mistakes the hand-written catalogue had no name for (its own sentences are in
# tfcourse.checks.MISTAKES, which every notebook already ships).
NEW_HINTS = {
    "start_fed_target": "at step 0 you fed target_seq[0], the token step 0 must predict. Step 0 "
                        "has no previous token: " + _FIX_START + ".",
    "fed_two_back": "at step t you fed target_seq[t-2], two tokens back. Step t consumes the "
                    "token just before its own: " + _FIX_START + ".",
    "fed_guess_two_back": "at step t you fed the guess of step t-2 (the logits two rows up); "
                          "feed embedding[argmax(logits[t-1])], the guess of the step just before.",
    "fed_unwritten_guess": "at step t you fed the argmax of a row of logits that was not computed "
                           "yet; feed embedding[argmax(logits[t-1])], the previous step's guess.",
    "coin_of_next_step": "step t used the coin drawn for step t+1: draw one rng.random() per "
                         "step t = 1 .. T-1, in order, and use step t's own coin at step t.",
    "coin_of_last_step": "step t used the coin drawn for step t-1 (the first step's coin wrapped "
                         "round to the last one): use step t's own coin at step t.",
    "start_every_step_tf": "you fed decoder_params['start'] at every step; from step 1 on, "
                           "teacher forcing feeds the true previous token, target_seq[t-1].",
    "start_every_step_ss": "you fed decoder_params['start'] at every step; from step 1 on, feed "
                           "the true previous token or the model's guess, as step t's coin says.",
    "extra_step": "your decoder ran one step too many: it returned T+1 rows. Run exactly T "
                  "steps, one row of logits per target token.",
    "legacy_generator": "you drew the coins from numpy's legacy global generator (np.random.seed "
                        "and np.random.random), not from rng: draw them with rng.random() from "
                        "the generator you are given (an int rng is its seed).",
    "own_generator": "you drew the coins from a generator of your own with a fixed seed, not "
                     "from rng: draw them with rng.random() from the generator you are given.",
    "sampled_guess": "you sampled the model's guess from softmax(logits[t-1]) (drawing from rng); "
                     "this decoder feeds the greedy guess, embedding[argmax(logits[t-1])].",
    "missing_last_step": "your decoder stopped one step early: it returned T-1 rows. Run all T "
                         "steps, one row of logits per target token.",
}


def _hint(key):
    from tfcourse.checks import MISTAKES
    return NEW_HINTS.get(key) or MISTAKES[key]


def _np(node, attr):
    return (isinstance(node, ast.Attribute) and node.attr == attr
            and isinstance(node.value, ast.Name) and node.value.id == "np")


def _param(node):
    """'W_x' for params['W_x'], else None."""
    if (isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name)
            and node.value.id == "params" and isinstance(node.slice, ast.Constant)):
        return node.slice.value
    return None


class _Plain(ast.NodeTransformer):
    def visit_Subscript(self, node):
        key = _param(node)
        return ast.Name(key) if key else self.generic_visit(node)


def words(node):
    """A node as the student writes it: params['W_x'] -> W_x."""
    import copy
    return ast.unparse(_Plain().visit(copy.deepcopy(node)))


def _name(id_):
    return ast.Name(id_, ast.Load())


def _call(func, *args):
    return ast.Call(_name(func), list(args), [])


def _sites(fdef, test):
    return [(k, n) for k, n in enumerate(nodes(fdef)) if test(n)]


def _replacing(make):
    """rewrite(fdef, node) that puts make(node) in the node's place."""
    def rewrite(fdef, node):
        replace(fdef, node, make(node))
    return rewrite


class Operator:
    id = ""

    def sites(self, fdef, function):
        raise NotImplementedError


# ----------------------------------------------------------------------------- cells

def _activation_of(node):
    if _np(node.func, "tanh"):
        return "tanh"
    if isinstance(node.func, ast.Name) and node.func.id in ("sigmoid", "logistic"):
        return "sigmoid"
    return None


class Activation(Operator):
    """tanh / sigmoid / ReLU / identity in place of the activation the equation has."""
    id = "activation"

    def sites(self, fdef, function):
        up = parents(fdef)
        for k, node in _sites(fdef, lambda n: isinstance(n, ast.Call) and _activation_of(n)):
            own = _activation_of(node)
            role = self._role(node, up)
            for alt in ACTIVATIONS:
                if alt == own:
                    continue
                text = (f"{ROLES.get(role, role)} is missing its {own}: apply {own} to it."
                        if alt == "identity" else
                        f"you squashed {ROLES.get(role, role)} with {ACTIVATIONS[alt]}; "
                        f"it takes {ACTIVATIONS[own]}.")
                yield Site(f"{own}>{alt}@{role}", text, k, self._swap(alt))

    @staticmethod
    def _role(node, up):
        parent = up.get(node)
        if isinstance(parent, ast.Assign) and isinstance(parent.targets[0], ast.Name):
            return parent.targets[0].id
        if node.args and isinstance(node.args[0], ast.Name):
            return node.args[0].id
        while parent is not None and not isinstance(parent, ast.Return):
            parent = up.get(parent)
        return "h_next"

    @staticmethod
    def _swap(alt):
        def rewrite(fdef, node):
            node.func = _name(f"_mut_{alt}")
        return rewrite


class TermDropped(Operator):
    """A term of a sum left out: a bias, x @ W_x, h_prev @ W_h."""
    id = "term_dropped"

    def sites(self, fdef, function):
        for k, node in _sites(fdef, lambda n: isinstance(n, ast.BinOp)
                              and isinstance(n.op, ast.Add)):
            for side, keep in (("left", "right"), ("right", "left")):
                dropped = getattr(node, side)
                bias = _param(dropped)
                if bias in BIASES:
                    text = f"you left out {BIASES[bias]}."
                elif isinstance(dropped, ast.BinOp) and isinstance(dropped.op, ast.MatMult):
                    text = (f"you left out the term {words(dropped)}: the new state needs "
                            f"it as well as the other terms.")
                else:
                    continue
                yield Site(words(dropped), text, k, _replacing(lambda n, keep=keep: getattr(n, keep)))


class Transposed(Operator):
    """A weight matrix used transposed (the column-vector habit: W @ v)."""
    id = "transposed"

    def sites(self, fdef, function):
        up = parents(fdef)
        for k, node in _sites(fdef, lambda n: (_param(n) or "").startswith("W_")
                              and isinstance(n.ctx, ast.Load)):
            parent = up.get(node)
            if isinstance(parent, ast.Subscript) and parent.value is node:
                continue  # W_h[:, 2H:] is a block, not the matrix
            W = _param(node)
            yield Site(W, f"you multiplied by {W} transposed (the column-vector habit, "
                          f"{W} @ v): with row vectors the product is v @ {W}.",
                       k, _replacing(lambda n: ast.Attribute(n, "T", ast.Load())))


class BlocksPermuted(Operator):
    """The gate blocks of W_x, W_h and b read in another order (ifog, zrn, ...)."""
    id = "blocks_permuted"

    def sites(self, fdef, function):
        splits = [n for n in nodes(fdef) if isinstance(n, ast.Assign)
                  and isinstance(n.targets[0], ast.Tuple) and isinstance(n.value, ast.Call)
                  and _np(n.value.func, "split")]
        if not splits:
            return
        gates = [e.id.split("_")[-1] for e in splits[0].targets[0].elts]
        for order in itertools.permutations(range(len(gates))):
            if list(order) == sorted(order):
                continue
            theirs = "".join(gates[j] for j in order)
            text = (f"your gate blocks are in the order {', '.join(theirs)}; this course uses "
                    f"PyTorch's order {', '.join(gates)}: block k of W_x, W_h and the biases "
                    f"is gate {'/'.join(gates)}[k].")
            yield Site(theirs, text, 0, self._permute(order))

    @staticmethod
    def _permute(order):
        def rewrite(fdef, root):
            for n in nodes(fdef):
                if (isinstance(n, ast.Assign) and isinstance(n.targets[0], ast.Tuple)
                        and isinstance(n.value, ast.Call) and _np(n.value.func, "split")):
                    elts = n.targets[0].elts
                    n.targets[0].elts = [elts[j] for j in order]
        return rewrite


class NamesSwapped(Operator):
    """Two quantities swapped in one line (z and 1 - z's roles, h_prev for c_prev, ...)."""
    id = "names_swapped"
    SKIP = {"params", "np", "t"}

    def sites(self, fdef, function):
        local = {a.arg for a in fdef.args.args} | {
            n.id for n in ast.walk(fdef) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
        for k, stmt in _sites(fdef, lambda n: isinstance(n, (ast.Assign, ast.Return))):
            if stmt.value is None or (isinstance(stmt.value, ast.Call) and isinstance(
                    stmt.value.func, ast.Name) and stmt.value.func.id.startswith("check")):
                continue  # argument checks are given, not part of the exercise
            calls = {id(c.func) for c in ast.walk(stmt.value) if isinstance(c, ast.Call)}
            used = sorted({n.id for n in ast.walk(stmt.value) if isinstance(n, ast.Name)
                           and n.id in local and n.id not in self.SKIP and id(n) not in calls})
            target = (words(stmt.targets[0]) if isinstance(stmt, ast.Assign)
                      else RESULTS.get(function, ("the result",))[0])
            for a, b in itertools.combinations(used, 2):
                yield Site(f"{a}<>{b}@{target}#{k}",
                           f"you swapped {a} and {b} where you compute {target}.",
                           k, self._swap(a, b))

    @staticmethod
    def _swap(a, b):
        def rewrite(fdef, stmt):
            for n in ast.walk(stmt.value):
                if isinstance(n, ast.Name) and n.id in (a, b):
                    n.id = b if n.id == a else a
        return rewrite


class TupleReversed(Operator):
    """The pair returned the other way round."""
    id = "tuple_reversed"

    def sites(self, fdef, function):
        for k, node in _sites(fdef, lambda n: isinstance(n, ast.Return)
                              and isinstance(n.value, ast.Tuple) and len(n.value.elts) == 2):
            first, second = RESULTS.get(function, ("the first result", "the second"))
            yield Site("reversed", f"you returned ({second}, {first}); {function} returns "
                                   f"({first}, {second}).", k, self._reverse)

    @staticmethod
    def _reverse(fdef, node):
        node.value.elts.reverse()


class ReturnedInput(Operator):
    """The state argument returned unchanged."""
    id = "returned_input"

    def sites(self, fdef, function):
        states = [a.arg for a in fdef.args.args if a.arg.endswith("_prev")]
        for k, node in _sites(fdef, lambda n: isinstance(n, ast.Return)
                              and not isinstance(n.value, ast.Tuple)):
            for state in states[:1]:
                yield Site(state, f"you returned {state} unchanged: the hidden state was "
                                  f"never updated.", k, self._return(state))

    @staticmethod
    def _return(state):
        def rewrite(fdef, node):
            node.value = _call("_mut_identity", _name(state))
        return rewrite


class ResetBeforeMatmul(Operator):
    """The GRU's reset gate applied to h_prev before the product (Cho et al. 2014)."""
    id = "reset_before_matmul"
    TEXT = ("your GRU applies the reset gate to h_prev before the matrix product, "
            "(r * h_prev) @ W_hn (Cho et al. 2014). PyTorch's GRUCell applies it after: "
            "n = tanh(x W_xn + b_xn + r * (h_prev W_hn + b_hn)).")

    def sites(self, fdef, function):
        for k, node in _sites(fdef, lambda n: isinstance(n, ast.Assign)
                              and isinstance(n.targets[0], ast.Name) and n.targets[0].id == "n"):
            yield Site("r*h_prev", self.TEXT, k, self._rewrite)

    @staticmethod
    def _rewrite(fdef, node):
        # r * h_n = r * (h_prev @ W_hn + b_hn)  ->  (r * h_prev) @ W_hn + b_hn
        blocks = ast.parse("(r * h_prev) @ params['W_h'][:, 2 * h_prev.shape[-1]:]"
                           " + params['b_h'][2 * h_prev.shape[-1]:]", mode="eval").body
        for n in ast.walk(node.value):
            if isinstance(n, ast.BinOp) and isinstance(n.op, ast.Mult) and \
                    isinstance(n.right, ast.Name) and n.right.id == "h_n":
                replace(node, n, blocks)
                return
        raise ValueError("no r * h_n")


CELL_OPERATORS = (Activation(), TermDropped(), Transposed(), BlocksPermuted(), NamesSwapped(),
                  TupleReversed(), ReturnedInput(), ResetBeforeMatmul())


# ----------------------------------------------------------------------------- decoders

def _loop(fdef):
    return next(n for n in fdef.body if isinstance(n, ast.For))


def _assigns_to(name):
    return lambda n: (isinstance(n, ast.Assign) and isinstance(n.targets[0], ast.Name)
                      and n.targets[0].id == name)


def _expr(text):
    return ast.parse(text, mode="eval").body


# (state name, alternative) -> (code of the alternative, hint id in tfcourse.checks.MISTAKES)
_STARTS = {"h": [("np.zeros_like(context_vector)", "zero_context")],
           "c": [("np.array(h)", "lstm_c_from_context")],
           "x": [("np.zeros_like(params['start'])", "zero_start"),
                 ("target_seq[0]", "start_fed_target"), ("target_seq[-1]", "wrapped_start")]}


class InitialState(Operator):
    """A state or the first input initialised from the wrong thing."""
    id = "initial_state"

    def sites(self, fdef, function):
        loop = _loop(fdef)
        args = {a.arg for a in fdef.args.args}
        for k, node in enumerate(nodes(fdef)):
            if node in fdef.body and fdef.body.index(node) < fdef.body.index(loop) and \
                    isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
                for code, hint in _STARTS.get(node.targets[0].id, ()):
                    if "target_seq" in code and "target_seq" not in args:
                        continue
                    yield Site(f"{node.targets[0].id}={code}", _hint(hint), k,
                               self._set(code))

    @staticmethod
    def _set(code):
        def rewrite(fdef, node):
            node.value = _expr(code)
        return rewrite


# (sequence, shift) -> hint id; the sequence read at step t, one step late (+1) or early (-1)
_SHIFTS = {("target_seq", 1): "fed_current_target", ("target_seq", -1): "fed_two_back",
           ("logits", -1): "fed_guess_two_back", ("logits", 1): "fed_unwritten_guess",
           ("feed_prediction", 1): "coin_of_next_step", ("feed_prediction", -1): "coin_of_last_step"}


class IndexShift(Operator):
    """An off-by-one in which input, target, guess or coin a step uses."""
    id = "index_shift"

    def sites(self, fdef, function):
        for k, node in _sites(fdef, lambda n: isinstance(n, ast.Subscript)
                              and isinstance(n.ctx, ast.Load) and isinstance(n.value, ast.Name)
                              and isinstance(n.slice, ast.Name) and n.slice.id == "t"):
            for shift in (1, -1):
                hint = _SHIFTS.get((node.value.id, shift))
                if hint:
                    yield Site(f"{node.value.id}[t{shift:+d}]", _hint(hint), k,
                               self._shift(shift))

    @staticmethod
    def _shift(shift):
        def rewrite(fdef, node):
            index = ast.BinOp(_name("t"), ast.Add() if shift > 0 else ast.Sub(), ast.Constant(1))
            replace(fdef, node, _call("_mut_at", node.value, index))
        return rewrite


# the alternative input rules: code of x_t and the hint id, per graded decoder
_RULES = {"prediction": ("params['embedding'][np.argmax(logits[t])]",
                         {"decoder_forward_teacher_forcing": "fed_prediction",
                          "decoder_forward_scheduled_sampling": "always_free_running"}),
          "target": ("target_seq[t]", {"decoder_forward_scheduled_sampling":
                                       "always_teacher_forcing"}),
          "start": ("params['start']", {"decoder_forward_teacher_forcing": "start_every_step_tf",
                                        "decoder_forward_free_running": "fed_start_every_step",
                                        "decoder_forward_scheduled_sampling":
                                        "start_every_step_ss"})}


class InputRule(Operator):
    """Another decoder's input rule: the prediction, the true token or the start input."""
    id = "input_rule"

    def sites(self, fdef, function):
        loop = _loop(fdef)
        for k, node in enumerate(nodes(fdef)):
            if node in ast.walk(loop) and _assigns_to("x")(node):
                for rule, (code, hints) in _RULES.items():
                    if function in hints and ast.dump(_expr(code)) != ast.dump(node.value):
                        yield Site(rule, _hint(hints[function]), k, InitialState._set(code))


class OneSite(Operator):
    """An operator with one site, the whole function: `key`, its sentence's id `hint` and
    `_rewrite(fdef, root)`."""
    key = hint = ""

    def sites(self, fdef, function):
        yield Site(self.key, _hint(self.hint), 0, self._rewrite)


class StateNotCarried(OneSite):
    """Every step restarted from the initial state."""
    id, key, hint = "state_not_carried", "h,c", "no_state_update"

    @staticmethod
    def _rewrite(fdef, root):
        loop = _loop(fdef)
        for call in ast.walk(loop):
            if isinstance(call, ast.Call) and call.args and \
                    getattr(call.args[0], "id", "") == "x":  # a cell step: step(x, h, ..., params)
                call.args = [_name(f"_mut_{a.id}0") if isinstance(a, ast.Name)
                             and a.id in ("h", "c") else a for a in call.args]
        at = fdef.body.index(loop)
        fdef.body[at:at] = [ast.parse("_mut_h0, _mut_c0 = h, c").body[0]]


class LogitsBeforeStep(OneSite):
    """The logits of step t computed from the state before step t's update."""
    id, key, hint = "logits_before_step", "logits", "logits_before_step"

    @staticmethod
    def _rewrite(fdef, root):
        body = _loop(fdef).body
        out = next(k for k, s in enumerate(body) if isinstance(s, ast.Assign) and isinstance(
            s.targets[0], ast.Subscript) and getattr(s.targets[0].value, "id", "") == "logits")
        body.insert(0, body.pop(out))


class Probabilities(Operator):
    """Probabilities (a softmax) returned for logits."""
    id = "probabilities"

    def sites(self, fdef, function):
        for k, node in _sites(fdef, lambda n: isinstance(n, ast.Return)
                              and isinstance(n.value, ast.Name) and n.value.id == "logits"):
            yield Site("softmax", _hint("probabilities"), k, self._rewrite)

    @staticmethod
    def _rewrite(fdef, node):
        node.value = _call("_mut_softmax", node.value)


class StepCount(Operator):
    """A step dropped (the first or the last) or one added."""
    id = "step_count"

    def sites(self, fdef, function):
        for k, node in _sites(fdef, lambda n: isinstance(n, ast.Return)
                              and isinstance(n.value, ast.Name) and n.value.id == "logits"):
            if "target_seq" in {a.arg for a in fdef.args.args}:
                yield Site("first", _hint("missing_first_step"), k, self._skip_start)
            yield Site("last", _hint("missing_last_step"), k, self._slice("logits[:-1]"))
            yield Site("added", _hint("extra_step"), k, self._add_step)

    @staticmethod
    def _skip_start(fdef, node):
        """Never ran step 0: the start input's step left out, so every row is one step early."""
        CurrentTarget.rewrite(fdef, fdef)
        node.value = _expr("logits[:-1]")

    @staticmethod
    def _slice(code):
        def rewrite(fdef, node):
            node.value = _expr(code)
        return rewrite

    @staticmethod
    def _add_step(fdef, node):
        """One step more than T: the loop's range and the rows of logits grow by one; the
        extra step reads the last target again (a loop one longer reads past the end)."""
        loop = _loop(fdef)
        loop.iter.args[0] = ast.BinOp(loop.iter.args[0], ast.Add(), ast.Constant(1))
        rows = next(n for n in ast.walk(fdef) if _assigns_to("logits")(n)).value.args[0].elts
        rows[0] = ast.BinOp(rows[0], ast.Add(), ast.Constant(1))
        for sub in [n for n in ast.walk(loop) if isinstance(n, ast.Subscript)
                    and isinstance(n.ctx, ast.Load) and getattr(n.slice, "id", "") == "t"
                    and getattr(n.value, "id", "") in ("target_seq", "feed_prediction")]:
            replace(fdef, sub, _call("_mut_at", sub.value, _name("t")))


def _is_draw(n):
    return (isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
            and n.func.attr == "random" and bool(n.args))


class Coins(Operator):
    """The coins drawn at the wrong time, the wrong way round, once per sequence, or from
    another generator than the one given."""
    id = "coins"
    DRAWS = {"at_step_0": ("coin_at_step_0", "{rng}.random({n} + 1)[1:]"),
             "per_sequence": ("per_sequence_coin", "np.full({n}, {rng}.random())"),
             "legacy_generator": ("legacy_generator", "_mut_legacy({seed}).random_sample({n})"),
             "own_generator": ("own_generator", "np.random.default_rng(0).random({n})"),
             "own_generator_42": ("own_generator", "np.random.default_rng(42).random({n})")}

    def sites(self, fdef, function):
        for k, node in _sites(fdef, _is_draw):
            for way, (hint, _) in self.DRAWS.items():
                yield Site(way, _hint(hint), k, self._draw(way))
        for k, node in _sites(fdef, lambda n: isinstance(n, ast.Compare)
                              and isinstance(n.ops[0], ast.Lt)):
            yield Site("inverted", _hint("inverted_coin"), k, self._invert)

    @classmethod
    def _draw(cls, way):
        def rewrite(fdef, node):
            made = node.func.value  # make_rng(rng): the raw argument is what a seed would be
            seed = made.args[0] if isinstance(made, ast.Call) and made.args else made
            code = cls.DRAWS[way][1].format(rng=ast.unparse(made), n=ast.unparse(node.args[0]),
                                            seed=ast.unparse(seed))
            replace(fdef, node, _expr(code))
        return rewrite

    @staticmethod
    def _invert(fdef, node):
        node.ops = [ast.GtE()]


class SampledGuess(Operator):
    """The model's guess sampled from softmax(logits) where the decoder feeds its argmax, with
    the generator the coins come from (drawn after the coins)."""
    id = "sampled_guess"

    def sites(self, fdef, function):
        if not any(_is_draw(n) for n in ast.walk(fdef)):
            return
        for k, node in _sites(fdef, lambda n: isinstance(n, ast.Call) and _np(n.func, "argmax")
                              and len(n.args) == 1):
            yield Site("sampled", _hint("sampled_guess"), k, self._rewrite)

    @staticmethod
    def _rewrite(fdef, node):
        draw = next(n for n in ast.walk(fdef) if _is_draw(n))
        fdef.body.insert(0, ast.Assign([ast.Name("_mut_rng", ast.Store())], draw.func.value))
        draw.func.value = _name("_mut_rng")
        replace(fdef, node, _call("_mut_sample", node.args[0], _name("_mut_rng")))


DECODER_OPERATORS = (InitialState(), IndexShift(), InputRule(), StateNotCarried(),
                     LogitsBeforeStep(), Probabilities(), StepCount(), Coins(), SampledGuess(),
                     TermDropped(), Transposed())


# ----------------------------------------------------------------------------- schedules

_FORMULAS = {"linear_schedule": "eps_i = max(eps_min, k - c*i)",
             "exponential_schedule": "eps_i = k ** i",
             "inverse_sigmoid_schedule": "eps_i = k / (k + exp(i / k))"}
_OPS = {ast.Add: ("+", ast.Sub), ast.Sub: ("-", ast.Add), ast.Mult: ("*", ast.Div),
        ast.Div: ("/", ast.Mult), ast.Pow: ("**", ast.Mult)}


class Formula(Operator):
    """A schedule's formula with a sign, an operation, min/max, the exponent or the rounding
    of i off, or returning 1 - eps_i."""
    id = "formula"

    def sites(self, fdef, function):
        formula = _FORMULAS[function]
        yield Site("complement", _hint("returned_sampling_prob"), 0, self._complement)
        for k, node in _sites(fdef, lambda n: isinstance(n, ast.Call) and isinstance(
                n.func, ast.Name) and n.func.id in ("max", "min")):
            other = "min" if node.func.id == "max" else "max"
            text = _hint("min_instead_of_max") if other == "min" else \
                f"you used {other} where the formula has {node.func.id}: {formula}."
            yield Site(f"{other}#{k}", text, k, self._rename(other))
        for k, node in _sites(fdef, lambda n: isinstance(n, ast.BinOp) and type(n.op) in _OPS):
            mine, new = _OPS[type(node.op)]
            theirs = _OPS[new][0]
            if function == "exponential_schedule" and mine == "**":
                text = _hint("k_times_i")
            else:
                text = (f"an operation in your formula is off: {theirs} where the schedule has "
                        f"{mine}. The schedule is {formula}.")
            yield Site(f"{mine}>{theirs}#{k}", text, k, self._op(new))
            if isinstance(node.left, (ast.Name, ast.BinOp)) and mine in "+-":
                text = (_hint("exp_sign_flipped") if function == "inverse_sigmoid_schedule"
                        else f"a sign in your formula is flipped. The schedule is {formula}.")
                yield Site(f"sign#{k}", text, k, self._negate_left)
            if mine == "**":
                for d in (1, -1):
                    yield Site(f"exponent{d:+d}#{k}", f"your exponent is off by one (i {d:+d} "
                               f"in place of i). The schedule is {formula}.", k, self._exp(d))
        for k, node in _sites(fdef, lambda n: isinstance(n, ast.Name) and n.id == "i"
                              and isinstance(n.ctx, ast.Load)):
            yield Site(f"floor#{k}", f"you rounded i down to a whole number; i may be any real "
                                     f"number >= 0. The schedule is {formula}.", k,
                       _replacing(lambda n: _call("_mut_floor", n)))

    @staticmethod
    def _complement(fdef, root):
        for node in ast.walk(fdef):
            if isinstance(node, ast.Return):
                node.value = ast.BinOp(ast.Constant(1.0), ast.Sub(), node.value)

    @staticmethod
    def _rename(name):
        def rewrite(fdef, node):
            node.func = _name(name)
        return rewrite

    @staticmethod
    def _op(new):
        def rewrite(fdef, node):
            node.op = new()
        return rewrite

    @staticmethod
    def _negate_left(fdef, node):
        node.left = ast.UnaryOp(ast.USub(), node.left)

    @staticmethod
    def _exp(d):
        def rewrite(fdef, node):
            node.right = ast.BinOp(node.right, ast.Add() if d > 0 else ast.Sub(), ast.Constant(1))
        return rewrite


SCHEDULE_OPERATORS = (Formula(),)


class CurrentTarget(Operator):
    """Fed the token each step must predict, target_seq[t], from step 0 on (no start input):
    the hand-written catalogue's spelling of the one-step shift, as one operator."""
    id = "current_target"

    def sites(self, fdef, function):
        if "target_seq" in {a.arg for a in fdef.args.args}:
            yield Site("all_steps", _hint("fed_current_target"), 0, self.rewrite)

    @staticmethod
    def rewrite(fdef, root):
        for node in list(ast.walk(fdef)):
            if _assigns_to("x")(node) and node in fdef.body:
                node.value = _expr("target_seq[0]")
            elif (isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load)
                  and getattr(node.value, "id", "") == "target_seq"
                  and getattr(node.slice, "id", "") == "t"):
                replace(fdef, node, _expr("_mut_at(target_seq, t + 1)"))


class HiddenStates(OneSite):
    """The hidden states returned in place of the logits."""
    id, key, hint = "hidden_states", "h", "hidden_states"

    @staticmethod
    def _rewrite(fdef, root):
        loop = _loop(fdef)
        loop.body.append(ast.parse("_mut_hs.append(h)").body[0])
        fdef.body.insert(fdef.body.index(loop), ast.parse("_mut_hs = []").body[0])
        for node in ast.walk(fdef):
            if isinstance(node, ast.Return):
                node.value = _expr("np.array(_mut_hs)")


class AxesSwapped(Operator):
    """A result of shape (.., T, L) returned with two axes in the wrong order: time and the
    last axis swapped, or (for a batch) batch and time, the time-major habit. A result-level
    rewrite: every return of the function (the first of a returned tuple) is changed."""
    id = "axes_swapped"
    TEXT = {"time_vocab": "you returned {what} with the time axis and the {last} axis swapped, "
                          "{wrong}: {what}{at} is {row}, so its shape is {right}; put the "
                          "axes back in that order (no transpose).",
            "batch_time": "you returned {what} time-major, (T, B, {L}) (the layout of PyTorch's "
                          "nn.RNN by default): this course is batch first, {what}[b, t] is "
                          "sequence b's step t, shape (B, T, {L}); put the batch axis first."}
    # what the result is: (name of its last axis, its letter, what row t holds)
    WORDS = {"logits": ("vocabulary", "V", "step t's V scores"),
             "pe": ("D", "D", "position t's D values")}

    def __init__(self, batched=False, what="logits"):
        self.ways, self.what = ("time_vocab", "batch_time") if batched else ("time_vocab",), what
        self.batched = batched

    def sites(self, fdef, function):
        last, L, row = self.WORDS[self.what]
        wrong, right = (f"({L}, T) or (B, {L}, T)", f"(T, {L}) for one sequence and (B, T, {L}) "
                                                    f"for a batch") if self.batched else \
            (f"({L}, T)", f"(T, {L})")
        for way in self.ways:
            text = self.TEXT[way].format(what=self.what, last=last, L=L, row=row, wrong=wrong,
                                         right=right, at="[..., t, :]" if self.batched else "[t]")
            yield Site(way, text, 0, self._rewrite(way))

    @staticmethod
    def _rewrite(way):
        def rewrite(fdef, root):
            for node in [n for n in ast.walk(fdef) if isinstance(n, ast.Return)]:
                tuple_ = isinstance(node.value, ast.Tuple)
                first = node.value.elts[0] if tuple_ else node.value
                new = _call("_mut_axes", first, ast.Constant(way))
                if tuple_:
                    node.value.elts[0] = new
                else:
                    node.value = new
        return rewrite


DECODER_OPERATORS += (CurrentTarget(), HiddenStates(), AxesSwapped())


# ----------------------------------------------------------------------------- named rewrites

class Rewrites(Operator):
    """Named mistakes of one function written as rewrites of its code. A row is (key, pattern,
    replacement, sentence), or (key, ((pattern, replacement), ...), sentence): every expression
    or statement that reads `pattern` (as ast.unparse writes it) becomes `replacement`. Where
    no general operator states a mistake, a row does: a line, not a function."""

    def __init__(self, id_, table):
        self.id, self.table = id_, table  # {function: [row, ...]}

    def sites(self, fdef, function):
        text = {ast.unparse(n) for n in ast.walk(fdef)}
        for row in self.table.get(function, ()):
            key, pairs, sentence = (row[0], ((row[1], row[2]),), row[3]) if len(row) == 4 else row
            if all(pattern in text for pattern, _ in pairs):
                yield Site(key, sentence, 0, self._rewrite(pairs))

    @staticmethod
    def _rewrite(pairs):
        def rewrite(fdef, root):
            for pattern, replacement in pairs:
                for node in [n for n in ast.walk(fdef) if isinstance(n, (ast.expr, ast.stmt))
                             and ast.unparse(n) == pattern]:
                    if isinstance(node, ast.stmt):
                        new = ast.parse(replacement).body[0]
                    else:
                        new = _expr(replacement)
                        if hasattr(node, "ctx"):
                            new.ctx = node.ctx
                    replace(fdef, node, new)
        return rewrite


_CURVE = "The curve is, at each position k+d after the corrupted input, the corrupted runs' " \
         "error rate minus the clean runs' error rate there."
RECOVERY_OPERATORS = (Rewrites("recovery", {"recovery_curve": [
    ("corrupted_next", "corrupted[k]", "corrupted[k + 1]",
     "you corrupted the input of step k+2: the token to replace is target_ids[i, k], which "
     "teacher forcing feeds at step k+1; replace it with wrong_ids[i]."),
    ("corrupted_previous", "corrupted[k]", "corrupted[k - 1]",
     "you corrupted the input of step k: the token to replace is target_ids[i, k], which "
     "teacher forcing feeds at step k+1; replace it with wrong_ids[i]."),
    ("starts_at_k", "k + 1", "k",
     "your curve starts at position k, whose step was fed the true token: it starts at "
     "position k+1 (entry d-1 is position k+d, d = 1 .. T-k-1)."),
    ("one_position_early", (("target_ids[:, k + 1:]", "target_ids[:, k:T - 1]"),
                            ("errors[:, :, k + 1:]", "errors[:, :, k:T - 1]")),
     "your curve is one position early: its entry d-1 is position k+d-1, from k (whose step "
     "was fed the true token) to T-2, and it leaves out position T-1. Entry d-1 is position "
     "k+d, d = 1 .. T-k-1: from k+1, the first step fed the corrupted token, to T-1."),
    ("starts_at_k_plus_2", "k + 1", "k + 2",
     "your curve starts at position k+2: it starts at position k+1, the first step fed the "
     "corrupted token (entry d-1 is position k+d, d = 1 .. T-k-1)."),
    ("clean_minus_corrupted", "rates[1] - rates[0]", "rates[0] - rates[1]",
     "you subtracted the corrupted runs' error rate from the clean runs'. " + _CURVE),
    ("corrupted_rate_only", "rates[1] - rates[0]", "rates[1]",
     "you returned the corrupted runs' error rate alone. " + _CURVE),
    ("pad_counted", "errors[:, :, k + 1:] & real", "errors[:, :, k + 1:]",
     "you counted guesses at PAD positions as errors: only positions whose target is not "
     "PAD (0) count, in the errors and in how many sequences you divide by."),
    ("divided_by_all", "(errors[:, :, k + 1:] & real).sum(axis=1) / n",
     "(errors[:, :, k + 1:] & real).sum(axis=1) / N",
     "you divided by all N sequences: divide by the number of sequences whose position k+d "
     "is not PAD (those are the ones measured there)."),
    ("zero_for_nan", "np.nan", "0.0",
     "where no sequence reaches position k+d your curve holds 0; it must hold NaN there "
     "(nothing was measured)."),
    ("right_guess_as_error", "np.argmax(logits, axis=1) != target_ids[i]",
     "np.argmax(logits, axis=1) == target_ids[i]",
     "you counted right guesses as errors: an error is a guess (the argmax of a step's "
     "logits) that differs from target_ids."),
]}),)
