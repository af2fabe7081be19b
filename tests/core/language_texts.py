"""Small French and German corpora (two topics each) for the language checks and keywords."""

from __future__ import annotations

FRENCH_FOOD = [
    "Le fromage est un aliment obtenu à partir de la coagulation du lait de vache.",
    "Le pain et le fromage sont servis avec un verre de vin rouge.",
    "La cuisine française est connue pour ses sauces, son pain et ses fromages.",
    "Le vin de Bordeaux accompagne souvent le fromage à la fin du repas.",
    "Les boulangers préparent le pain chaque matin avant l'aube.",
    "Une bonne sauce demande du beurre, du vin blanc et beaucoup de patience.",
]
FRENCH_SPORT = [
    "Le football est un sport collectif qui se joue entre deux équipes de onze joueurs.",
    "Les joueurs de l'équipe ont marqué trois buts pendant le match.",
    "Le match de football a été suivi par des millions de spectateurs.",
    "Le Tour de France est une course cycliste qui dure trois semaines.",
    "Les cyclistes de l'équipe ont gagné la course sous la pluie.",
    "Une équipe de rugby compte quinze joueurs sur le terrain pendant le match.",
]
GERMAN_FOOD = [
    "Käse wird aus Milch hergestellt, die durch Lab oder Säure gerinnt.",
    "Zum Frühstück gibt es Brot mit Butter, Käse und einer Tasse Kaffee.",
    "Das Brot wird jeden Morgen vom Bäcker frisch gebacken.",
    "In Bayern trinkt man zum Essen gern ein Bier und isst dazu Brot.",
    "Die deutsche Küche kennt hunderte Sorten Brot und viele Sorten Käse.",
    "Der Bäcker verkauft Brot, Brötchen und Kuchen mit Sahne.",
]
GERMAN_SPORT = [
    "Fußball ist eine Mannschaftssportart, bei der zwei Mannschaften mit je elf Spielern spielen.",
    "Die Mannschaft hat das Spiel am Samstag mit drei Toren gewonnen.",
    "Die Spieler der Mannschaft trainieren jeden Tag für das nächste Spiel.",
    "Beim Radrennen fahren die Fahrer mehrere Stunden durch die Berge.",
    "Das Spiel wurde von vielen Zuschauern im Stadion verfolgt.",
    "Der Trainer hat die Mannschaft nach dem verlorenen Spiel gelobt.",
]
FRENCH = FRENCH_FOOD + FRENCH_SPORT
GERMAN = GERMAN_FOOD + GERMAN_SPORT
