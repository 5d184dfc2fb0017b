"""The instructor's commands: `python -m autograder SUBCOMMAND [args]`.

    build   write build/course/ (nbgrader source and release) and notebooks/
    demo    build, autograde a sample class with nbgrader, print the score table
    map     the course map: each notebook and the files holding its prose, solutions, checks...
            (--refresh: rewrite the notebook numbers of the Markdown outside the templates)

Each subcommand lives in its own module with a `main(argv) -> exit code`; add one by adding
a line to SUBCOMMANDS.
"""
import importlib
import sys

# name -> (module, one-line help)
SUBCOMMANDS = {
    "build": ("autograder.build", "build the nbgrader course and the student notebooks"),
    "demo": ("autograder.demo", "build, autograde the sample class, print the scores"),
    "grade": ("autograder.engine.grade", "grade submissions in sandboxes, in parallel (see autograder/engine/GRADING.md)"),
    "check": ("autograder.engine.check", "grade one notebook of yours and say what is wrong"),
    "map": ("autograder.course_map", "each notebook: what it teaches and the files that make it"),
}


def usage():
    lines = [f"  {name:8s}{text}" for name, (_, text) in SUBCOMMANDS.items()]
    return "usage: python -m autograder SUBCOMMAND [args]\n\n" + "\n".join(lines)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] not in SUBCOMMANDS:
        print(usage(), file=sys.stderr)
        return 2
    module = importlib.import_module(SUBCOMMANDS[argv[0]][0])
    return module.main(argv[1:])


if __name__ == "__main__":
    sys.exit(main())
