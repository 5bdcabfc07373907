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

// Repeat complainant (R-C1 history): while the contact is typed, ask the server whether this
// complainant has complained before and show its answer under the contact fields.
(function () {
  var form = document.querySelector('form.intake[data-repeat-check]');
  if (!form) { return; }
  var url = form.dataset.repeatCheck;
  var fields = { phone: 'contact_phone', email: 'contact_email', qq: 'contact_qq', wechat: 'contact_wechat' };
  var box = document.getElementById('repeat-complainant');
  var timer = null;
  function check() {
    var params = new URLSearchParams();
    var any = false;
    Object.keys(fields).forEach(function (key) {
      var input = form.elements[fields[key]];
      var value = input ? input.value.trim() : '';
      if (value) { params.set(key, value); any = true; }
    });
    if (!any) { box.hidden = true; box.textContent = ''; return; }
    fetch(url + '?' + params.toString(), { headers: { 'Accept': 'application/json' }, credentials: 'same-origin' })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data || !data.count) { box.hidden = true; box.textContent = ''; return; }
        box.textContent = '';
        var text = document.createElement('p');
        text.textContent = data.message;
        box.appendChild(text);
        var list = document.createElement('ul');
        data.complaints.forEach(function (c) {
          var item = document.createElement('li');
          var link = document.createElement('a');
          link.href = c.url;
          link.target = '_blank';
          link.textContent = c.reference + ' ' + c.subject;
          item.appendChild(link);
          item.appendChild(document.createTextNode(' · ' + c.status));
          list.appendChild(item);
        });
        box.appendChild(list);
        box.hidden = false;
      })
      .catch(function () { /* a hint only: the form works without it */ });
  }
  Object.keys(fields).forEach(function (key) {
    var input = form.elements[fields[key]];
    if (input) {
      input.addEventListener('input', function () { clearTimeout(timer); timer = setTimeout(check, 400); });
    }
  });
  check();
})();
