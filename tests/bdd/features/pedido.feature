# language: pt
Funcionalidade: Do totem à cozinha
  Como restaurante, quero que só pedido pago chegue à cozinha, que pedido recusado ou
  cancelado nunca seja preparado, e que a cozinha siga as etapas na ordem.

  Contexto:
    Dado um cardápio com lanches
    E uma cliente identificada pelo CPF no totem

  Cenário: pedido pago chega à cozinha
    Quando a cliente pede 2 lanches
    E paga o Pix no Mercado Pago
    Então o pedido fica "PAID"
    E a cozinha recebe o pedido para preparar
    Quando a cozinha começa, termina e entrega o pedido
    Então o pedido fica "DELIVERED"

  Cenário: pagamento recusado cancela o pedido
    Quando a cliente pede 1 lanche
    E o Mercado Pago recusa o Pix
    Então o pedido fica "CANCELLED"
    E a cozinha não recebe o pedido

  Cenário: cliente cancela antes de pagar
    Quando a cliente pede 1 lanche
    E a cliente cancela o pedido
    Então o pedido fica "CANCELLED"
    E a cozinha não recebe o pedido

  Cenário: cliente não cancela depois de pagar
    Quando a cliente pede 1 lanche
    E paga o Pix no Mercado Pago
    Então o pedido fica "PAID"
    E cancelar o pedido é recusado com 409
    E o pedido continua "PAID"

  Cenário: cozinha não pula etapas
    Quando a cliente pede 1 lanche
    E paga o Pix no Mercado Pago
    Então a cozinha recebe o pedido para preparar
    E marcar o pedido como pronto antes de começar é recusado com 409
    E o pedido continua "PAID"
    Quando a cozinha começa o preparo
    Então o pedido fica "IN_PREPARATION"
