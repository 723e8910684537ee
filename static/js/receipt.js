/* The ballot receipt is made here, in the voter's browser (VOTING.md): 128 bits from
   crypto.getRandomValues, written as 26 RFC 4648 base32 characters without padding. A server
   that picked receipts could give two voters of the same choice the same one and then replace
   a ballot; a receipt the voter's own device made cannot be planned that way. Without
   JavaScript the field stays empty and the server makes the receipt. */
(function () {
  "use strict";
  var ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

  function base32(bytes) {
    var out = "";
    var value = 0;
    var bits = 0;
    for (var i = 0; i < bytes.length; i++) {
      value = ((value << 8) | bytes[i]) & 0xffff;
      bits += 8;
      while (bits >= 5) {
        out += ALPHABET.charAt((value >>> (bits - 5)) & 31);
        bits -= 5;
      }
    }
    if (bits > 0) { out += ALPHABET.charAt((value << (5 - bits)) & 31); }
    return out;
  }

  function receipt() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return base32(bytes);
  }

  var forms = document.querySelectorAll("form[data-receipt]");
  for (var i = 0; i < forms.length; i++) {
    forms[i].addEventListener("submit", function (event) {
      var form = event.currentTarget;
      var field = form.querySelector("input[name=receipt]");
      if (field && !field.value && window.crypto && window.crypto.getRandomValues) {
        field.value = receipt();
      }
      var button = form.querySelector("button[type=submit]");
      if (button) { button.disabled = true; } // one tap, one ballot
    });
  }
  window.consultReceipt = { make: receipt, base32: base32 };
})();
