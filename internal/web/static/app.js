// Confirmation before anything that cannot be undone: forms and buttons
// carrying data-confirm ask first. No inline scripts (the CSP forbids them).
document.addEventListener("submit", function (e) {
  var f = e.target;
  var msg = f.getAttribute("data-confirm");
  if (msg && !window.confirm(msg)) {
    e.preventDefault();
  }
}, true);
document.addEventListener("click", function (e) {
  var b = e.target.closest("[data-confirm-click]");
  if (b && !window.confirm(b.getAttribute("data-confirm-click"))) {
    e.preventDefault();
  }
}, true);
// Print buttons (the case file, the referral letter).
document.addEventListener("click", function (e) {
  if (e.target.closest("[data-print]")) {
    window.print();
  }
});
