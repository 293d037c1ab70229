// Security keys: the browser's WebAuthn ceremony, the only part of the portal
// that needs JavaScript by nature. The server keeps the challenge in the session
// and checks the answer; this file only carries options and answers across.
(function () {
  "use strict";

  function toBuffer(value) {
    var base64 = value.replace(/-/g, "+").replace(/_/g, "/");
    base64 += "===".slice((base64.length + 3) % 4);
    var binary = atob(base64);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) { bytes[i] = binary.charCodeAt(i); }
    return bytes.buffer;
  }

  function toBase64url(buffer) {
    var bytes = new Uint8Array(buffer);
    var binary = "";
    for (var i = 0; i < bytes.length; i++) { binary += String.fromCharCode(bytes[i]); }
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function descriptors(list) {
    return (list || []).map(function (item) {
      return { type: item.type, id: toBuffer(item.id), transports: item.transports };
    });
  }

  function csrfToken(root) {
    var input = root.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function fetchOptions(root) {
    return fetch(root.getAttribute("data-options-url"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(root), "Accept": "application/json" },
      body: new URLSearchParams({ action: "key-options" })
    }).then(function (response) {
      if (response.status === 403 && root.hasAttribute("data-reauth-url")) {
        window.location.href = root.getAttribute("data-reauth-url");
        throw new Error("reauthentication required");
      }
      if (!response.ok) { throw new Error("options refused"); }
      return response.json();
    });
  }

  function say(root, name) {
    var status = root.querySelector("[data-webauthn-status]");
    if (status) { status.textContent = status.getAttribute("data-msg-" + name) || ""; }
  }

  function setUp(root, ceremony) {
    var button = root.querySelector("[data-webauthn-start]");
    var busy = false;
    function start() {
      if (busy) { return; }
      busy = true;
      say(root, "working");
      ceremony().then(function () {
        busy = false;
      }, function () {
        busy = false;
        say(root, "failed");
        if (button) { button.focus(); }
      });
    }
    root.hidden = false;
    document.querySelectorAll("[data-webauthn-nojs]").forEach(function (note) { note.hidden = true; });
    if (!window.PublicKeyCredential || !navigator.credentials) {
      say(root, "unsupported");
      if (button) { button.disabled = true; }
      return;
    }
    if (button) { button.addEventListener("click", start); }
    start();
  }

  // Registration (My multi-factor authentication → Add a new key).
  var register = document.querySelector("[data-webauthn-register]");
  if (register) {
    var form = register.querySelector("[data-webauthn-form]");
    setUp(register, function () {
      form.hidden = true;
      return fetchOptions(register).then(function (options) {
        var publicKey = Object.assign({}, options, {
          challenge: toBuffer(options.challenge),
          user: Object.assign({}, options.user, { id: toBuffer(options.user.id) }),
          excludeCredentials: descriptors(options.excludeCredentials)
        });
        return navigator.credentials.create({ publicKey: publicKey });
      }).then(function (credential) {
        var response = credential.response;
        var answer = {
          id: credential.id,
          rawId: toBase64url(credential.rawId),
          type: credential.type,
          authenticatorAttachment: credential.authenticatorAttachment || undefined,
          clientExtensionResults: credential.getClientExtensionResults(),
          response: {
            clientDataJSON: toBase64url(response.clientDataJSON),
            attestationObject: toBase64url(response.attestationObject),
            transports: typeof response.getTransports === "function" ? response.getTransports() : []
          }
        };
        form.querySelector("input[name=credential]").value = JSON.stringify(answer);
        form.hidden = false;
        say(register, "done");
        form.querySelector("input[name=name]").focus();
      });
    });
  }

  // Login (the factor step in security-key mode): starts by itself, with a retry button.
  var login = document.querySelector("[data-webauthn-login]");
  if (login) {
    var loginForm = login.querySelector("[data-webauthn-form]");
    setUp(login, function () {
      return fetchOptions(login).then(function (options) {
        var publicKey = Object.assign({}, options, {
          challenge: toBuffer(options.challenge),
          allowCredentials: descriptors(options.allowCredentials)
        });
        return navigator.credentials.get({ publicKey: publicKey });
      }).then(function (credential) {
        var response = credential.response;
        var answer = {
          id: credential.id,
          rawId: toBase64url(credential.rawId),
          type: credential.type,
          authenticatorAttachment: credential.authenticatorAttachment || undefined,
          clientExtensionResults: credential.getClientExtensionResults(),
          response: {
            clientDataJSON: toBase64url(response.clientDataJSON),
            authenticatorData: toBase64url(response.authenticatorData),
            signature: toBase64url(response.signature),
            userHandle: response.userHandle ? toBase64url(response.userHandle) : undefined
          }
        };
        loginForm.querySelector("input[name=credential]").value = JSON.stringify(answer);
        say(login, "done");
        loginForm.submit();
      });
    });
  }
})();
