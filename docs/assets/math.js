// Typeset the math of every page with the vendored KaTeX. pymdownx.arithmatex (generic mode)
// leaves formulas as \( ... \) (inline) and \[ ... \] (display) inside elements of class
// "arithmatex"; auto-render finds and replaces them.
document.addEventListener("DOMContentLoaded", function () {
  for (const element of document.querySelectorAll(".arithmatex")) {
    renderMathInElement(element, {
      delimiters: [
        { left: "\\[", right: "\\]", display: true },
        { left: "\\(", right: "\\)", display: false },
      ],
      throwOnError: false,
    });
  }
});
