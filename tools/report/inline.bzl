"""A text file (a script, a style sheet) as a C++ string literal, for inlining into a page."""

def string_literal(name, src):
    """NAME.inc: SRC as a raw string literal, its source-map comment dropped.

    Fails the build when SRC holds "</script" or "</style" (it could not stand inside the
    element it is inlined into) or the literal's closing delimiter.
    """
    native.genrule(
        name = name,
        srcs = [src],
        outs = [name + ".inc"],
        cmd = " && ".join([
            "if grep -qiE '</(script|style)|\\)USTACKINLINE' $<; then " +
            "echo \"$< cannot be inlined: it contains </script, </style or )USTACKINLINE\" >&2; exit 1; fi",
            "(echo 'R\"USTACKINLINE('; sed '/sourceMappingURL=/d' $<; echo ')USTACKINLINE\"') > $@",
        ]),
    )
