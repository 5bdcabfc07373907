// Customer suggestions as one types (the picker also accepts an exact name without JavaScript).
(function () {
  document.querySelectorAll('input.customer-picker').forEach(function (input) {
    var list = document.getElementById(input.getAttribute('list'));
    var timer = null, last = '';
    input.addEventListener('input', function () {
      var q = input.value.trim();
      if (q.length < 1 || q === last || /#\d+$/.test(q)) { return; }
      clearTimeout(timer);
      timer = setTimeout(function () {
        last = q;
        fetch(input.dataset.searchUrl + '?q=' + encodeURIComponent(q), {credentials: 'same-origin'})
          .then(function (r) { return r.ok ? r.json() : {results: []}; })
          .then(function (data) {
            list.replaceChildren.apply(list, data.results.map(function (c) {
              var option = document.createElement('option');
              option.value = c.label;
              option.textContent = c.tier;
              return option;
            }));
          });
      }, 200);
    });
    if (input.classList.contains('customer-adder')) {
      // a chosen suggestion becomes a new line of the list below
      input.addEventListener('change', function () {
        var target = document.getElementById(input.dataset.target);
        if (!target || !/#\d+$/.test(input.value)) { return; }
        target.value = (target.value.trim() ? target.value.trim() + '\n' : '') + input.value;
        input.value = '';
      });
    }
  });
})();
