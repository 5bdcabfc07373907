// Show only the fields of the chosen outcome (the form works without JavaScript too).
(function () {
  var radios = document.querySelectorAll('input[name="outcome"]');
  function sync() {
    var chosen = document.querySelector('input[name="outcome"]:checked');
    document.querySelectorAll('.outcome-block').forEach(function (block) {
      block.hidden = !chosen || block.dataset.outcome !== chosen.value;
    });
  }
  radios.forEach(function (r) { r.addEventListener('change', sync); });
  sync();
})();
