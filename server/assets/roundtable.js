/*
 * Roundtable: progressive enhancement only. Every page works without this
 * script. Loaded with <script src="…" defer>; no inline code, no framework.
 *
 * 1. Live Markdown preview for form[data-preview].
 * 2. Move focus to the GOV.UK error summary when a page shows one.
 * 3. Passkeys: form[data-passkey] asks the browser for one (WebAuthn) and
 *    sends the answer with the form; without this script the server says a
 *    passkey needs JavaScript.
 */
(function () {
  'use strict';

  var PREVIEW_URL = '/api/v1/preview';
  var PREVIEW_DELAY_MS = 400;

  function setupPreview(form) {
    var textarea = form.querySelector('textarea[name="body"]');
    var output = form.querySelector('[data-preview-output]');
    var csrfInput = form.querySelector('input[name="csrf_token"]');
    if (!textarea || !output || !csrfInput || !window.fetch || !window.JSON) {
      return;
    }

    var timer = null;
    var latest = 0; // sequence number of the newest request
    var lastSent = null;

    function reveal() {
      output.setAttribute('aria-live', 'polite');
      if (output.hasAttribute('hidden')) {
        output.removeAttribute('hidden');
      }
    }

    function showText(message) {
      reveal();
      output.textContent = message;
    }

    function send() {
      timer = null;
      var body = textarea.value;
      if (body === lastSent) {
        return;
      }
      lastSent = body;
      var seq = ++latest;

      window.fetch(PREVIEW_URL, {
        method: 'POST',
        credentials: 'same-origin',
        headers: {
          'Content-Type': 'application/json',
          'X-CSRF-Token': csrfInput.value
        },
        body: JSON.stringify({ body: body })
      }).then(function (response) {
        return response.json().then(function (data) {
          return { ok: response.ok, data: data };
        }, function () {
          return { ok: false, data: null };
        });
      }).then(function (answer) {
        if (seq !== latest) {
          return; // a newer request has been sent; ignore this answer
        }
        var data = answer.data;
        if (answer.ok && data && typeof data.html === 'string') {
          reveal();
          // Sanitised by the server with an allow-list.
          output.innerHTML = data.html;
        } else if (data && data.error && typeof data.error.message === 'string') {
          showText(data.error.message);
        } else {
          lastSent = null; // allow a retry with the same text
          showText('The preview is not available just now.');
        }
      }).catch(function () {
        if (seq === latest) {
          lastSent = null;
          showText('The preview is not available just now.');
        }
      });
    }

    textarea.addEventListener('input', function () {
      if (timer !== null) {
        window.clearTimeout(timer);
      }
      timer = window.setTimeout(send, PREVIEW_DELAY_MS);
    });
  }

  function focusErrorSummary() {
    var summary = document.querySelector('.govuk-error-summary');
    if (summary && typeof summary.focus === 'function') {
      if (!summary.hasAttribute('tabindex')) {
        summary.setAttribute('tabindex', '-1');
      }
      summary.focus();
    }
  }

  // The access cookie lasts minutes; someone writing a long post on a page should not find,
  // on pressing Post, that their sign-in lapsed. While a page with a text box is open, renew
  // the sign-in now and then with the refresh cookie (same origin, with the page's CSRF token).
  function keepSignedInWhileWriting() {
    var box = document.querySelector('form[method="post"] textarea');
    var token = document.querySelector('form[action="/logout"] input[name="csrf_token"]');
    var seconds = parseInt(document.body.getAttribute('data-keepalive-seconds') || '', 10);
    if (!box || !token || !(seconds > 0) || typeof window.fetch !== 'function') {
      return;
    }
    window.setInterval(function () {
      window.fetch('/api/v1/auth/refresh', {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'X-CSRF-Token': token.value }
      }).catch(function () { /* the next form post will ask to sign in again */ });
    }, seconds * 1000);
  }

  // WebAuthn's binary fields travel as base64url.
  function fromB64url(text) {
    var b64 = text.replace(/-/g, '+').replace(/_/g, '/');
    while (b64.length % 4) { b64 += '='; }
    var raw = atob(b64);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) { bytes[i] = raw.charCodeAt(i); }
    return bytes.buffer;
  }

  function toB64url(buffer) {
    var bytes = new Uint8Array(buffer);
    var raw = '';
    for (var i = 0; i < bytes.length; i++) { raw += String.fromCharCode(bytes[i]); }
    return btoa(raw).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }

  function decodeOptions(options) {
    var pk = options.publicKey;
    pk.challenge = fromB64url(pk.challenge);
    if (pk.user) { pk.user.id = fromB64url(pk.user.id); }
    ['excludeCredentials', 'allowCredentials'].forEach(function (list) {
      (pk[list] || []).forEach(function (c) { c.id = fromB64url(c.id); });
    });
    return options;
  }

  function encodeCredential(cred) {
    var r = cred.response;
    var response = { clientDataJSON: toB64url(r.clientDataJSON) };
    if (r.attestationObject) {
      response.attestationObject = toB64url(r.attestationObject);
    } else {
      response.authenticatorData = toB64url(r.authenticatorData);
      response.signature = toB64url(r.signature);
      response.userHandle = r.userHandle ? toB64url(r.userHandle) : null;
    }
    return {
      id: cred.id,
      rawId: toB64url(cred.rawId),
      type: cred.type,
      response: response,
      extensions: cred.getClientExtensionResults ? cred.getClientExtensionResults() : {}
    };
  }

  function setupPasskey(form) {
    var answer = form.querySelector('input[name="credential"]');
    var problem = form.querySelector('[data-passkey-problem]');
    if (!answer || !window.fetch || !window.PublicKeyCredential || !navigator.credentials) {
      return;
    }
    var creating = form.getAttribute('data-passkey') === 'create';
    form.addEventListener('submit', function (event) {
      if (answer.value) { return; }
      event.preventDefault();
      var body = {};
      var headers = { 'Content-Type': 'application/json' };
      if (creating) {
        var password = form.querySelector('input[name="password"]');
        body.password = password ? password.value : '';
        headers['X-CSRF-Token'] = form.querySelector('input[name="csrf_token"]').value;
      } else {
        body.mfa_token = form.querySelector('input[name="token"]').value;
      }
      fetch(form.getAttribute('data-passkey-options'), {
        method: 'POST',
        credentials: 'same-origin',
        headers: headers,
        body: JSON.stringify(body)
      }).then(function (res) {
        return res.json().then(function (json) {
          if (!res.ok) { throw new Error(json.error ? json.error.message : 'that did not work'); }
          var options = decodeOptions(json);
          return creating ? navigator.credentials.create(options)
            : navigator.credentials.get(options);
        });
      }).then(function (cred) {
        answer.value = JSON.stringify(encodeCredential(cred));
        form.submit();
      }).catch(function (err) {
        if (problem) {
          problem.textContent = 'The passkey was not used: ' + err.message;
          problem.removeAttribute('hidden');
        }
      });
    });
  }

  function init() {
    var forms = document.querySelectorAll('form[data-preview]');
    for (var i = 0; i < forms.length; i++) {
      setupPreview(forms[i]);
    }
    var passkeyForms = document.querySelectorAll('form[data-passkey]');
    for (var j = 0; j < passkeyForms.length; j++) {
      setupPasskey(passkeyForms[j]);
    }
    focusErrorSummary();
    keepSignedInWhileWriting();
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', init);
  } else {
    init();
  }
}());
