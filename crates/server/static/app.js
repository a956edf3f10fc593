// The dashboard's one script. Every page works without it; it only adds a confirmation before
// stopping tasks whose stop warns, and live rows fed by the event stream.
(function () {
  'use strict';

  document.addEventListener('submit', function (event) {
    var button = event.submitter || event.target.querySelector('button[data-confirm]');
    var question = button && button.getAttribute('data-confirm');
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });

  var table = document.getElementById('tasks');
  if (!table || table.dataset.live !== 'true' || !window.EventSource) {
    return;
  }
  var body = table.tBodies[0];
  var single = table.dataset.task || '';
  var wantState = table.dataset.state || '';
  var wantName = (table.dataset.name || '').toLowerCase();
  var back = location.pathname + location.search;

  var status = document.createElement('p');
  status.className = 'live-status';
  status.setAttribute('role', 'status');
  table.parentNode.insertBefore(status, table);
  function show(text, live) {
    status.textContent = text;
    status.classList.toggle('on', live);
  }

  function rowOf(id) {
    return body.querySelector('tr[data-task-id="' + id + '"]');
  }

  function wanted(task) {
    if (single) {
      return String(task.Id) === single;
    }
    if (wantState && task.State !== wantState) {
      return false;
    }
    return !wantName || (task.Name || '').toLowerCase().indexOf(wantName) >= 0;
  }

  // Rows are rendered by the server, escaped there; the script only places them.
  var fetching = {};
  function refresh(id) {
    if (fetching[id]) {
      fetching[id] = 'again';
      return;
    }
    fetching[id] = true;
    fetch('/ui/tasks/' + id + '/row', { headers: { 'X-Back': back }, credentials: 'same-origin' })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        var again = fetching[id] === 'again';
        delete fetching[id];
        if (html) {
          var holder = document.createElement('tbody');
          holder.innerHTML = html.trim();
          var fresh = holder.querySelector('tr');
          var old = rowOf(id);
          if (fresh && old) {
            old.replaceWith(fresh);
          } else if (fresh) {
            body.insertBefore(fresh, body.firstChild);
            var empty = document.querySelector('p.empty');
            if (empty) {
              empty.remove();
            }
          }
        }
        if (again) {
          refresh(id);
        }
      })
      .catch(function () { delete fetching[id]; });
  }

  function paint(task) {
    var row = rowOf(task.Id);
    if (!row) {
      return;
    }
    var percent = Math.max(0, Math.min(100, task.ProgressPercent || 0));
    var bar = row.querySelector('progress.bar');
    if (bar) {
      bar.value = percent;
      bar.textContent = percent + '%';
    }
    var number = row.querySelector('.percent');
    if (number) {
      number.textContent = percent + '%';
    }
    var text = row.querySelector('.progress-text');
    if (text) {
      text.textContent = task.ProgressDescription || '';
    }
    var state = row.querySelector('td.state');
    if (state) {
      state.textContent = task.State;
    }
  }

  var source = new EventSource('/api/sobatch/v1/events');
  source.addEventListener('open', function () { show('Live', true); });
  source.addEventListener('error', function () { show('Reconnecting…', false); });
  source.addEventListener('task', function (message) {
    var task;
    try {
      task = JSON.parse(message.data);
    } catch (e) {
      return;
    }
    var row = rowOf(task.Id);
    if (task.Kind === 'Deleted') {
      if (row) {
        row.classList.add('deleted');
        row.querySelectorAll('form').forEach(function (form) { form.remove(); });
        var state = row.querySelector('td.state');
        if (state) {
          state.textContent = 'Deleted';
        }
      }
      return;
    }
    paint(task);
    if (task.Kind !== 'Progress' && (row || (task.Kind === 'Created' && wanted(task)))) {
      refresh(task.Id);
    }
  });
})();
