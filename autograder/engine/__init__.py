"""The grading engine: everything the grader does with student data, in one folder to review.

    sandbox   run one notebook in a fresh, bounded, network-less kernel (bubblewrap)
    capped    what the grader keeps of a kernel's messages: bounded, whatever it sends
    cgroup    one memory limit for all of a notebook's processes, where the machine allows
    judge     the grading spec from the instructor's side; assemble the notebook; judge results
    grade     the class: discover submissions, grade each in isolation, tables and gradebook
    feedback  the HTML page a student gets
    sanitize  a student's outputs made safe to keep and show, in linear time
    bounded   a step of the grader's own work (the page) under a time and memory limit
    store     results on disk: atomic writes, fingerprints, stored results
    records   what nbgrader records beside the scores: timestamp, late penalty, the feedback page
    files     reading submitted files: no link followed, plain files only, bounded
    check     `python -m autograder check NOTEBOOK` for a self-study learner

The threat model and the guarantees are in GRADING.md beside this file. The course build
(templates, inlining, hidden cases, sample class) is the rest of `autograder/`.
"""
