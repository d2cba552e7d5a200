// Runs before the page is first drawn (a plain script in <head>: the CSP allows no inline code), so a page
// reloaded in the theme the user chose is never drawn in the other one first. theme.ts takes over once the
// app starts; the key and the values are the ones it stores.
/* global localStorage, document */
(function () {
  try {
    var choice = localStorage.getItem('tunebench.theme');
    if (choice === 'light' || choice === 'dark') document.documentElement.dataset.theme = choice;
  } catch {
    // Storage off: the OS setting decides (styles.css), as for "system".
  }
})();
