"""Word lists for the generated data: French first and last names, communes, trades.

Combined at random (from a seed), they give a million distinct, plausible
structures and people; none of them is a real entry of any register.
"""

FIRST_NAMES = (
    "Adèle Agathe Aïcha Albane Alice Alix Amandine Amélie Anaïs Anne Apolline Aurélie Axelle "
    "Béatrice Bérénice Camille Capucine Caroline Cécile Céline Charlotte Chloé Claire Clara "
    "Clémence Coralie Delphine Diane Élise Élodie Éloïse Emma Estelle Eva Fanny Fatima Florence "
    "Gabrielle Hélène Inès Isabelle Jade Jeanne Joséphine Julie Juliette Justine Laetitia Laura "
    "Léa Léna Louise Lucie Madeleine Manon Margaux Marie Marine Mathilde Maëlle Mélanie Nadia "
    "Nathalie Noémie Océane Pauline Rose Sabrina Salomé Sandrine Sarah Solène Sophie Suzanne "
    "Valérie Victoire Zoé Adrien Alexandre Antoine Arnaud Arthur Baptiste Benjamin Bruno Cédric "
    "Charles Christophe Clément Damien David Denis Didier Dylan Édouard Émile Éric Étienne "
    "Fabien Florian François Frédéric Gabriel Gaël Guillaume Hugo Jacques Jean Jérôme Jonathan "
    "Jules Julien Karim Kévin Laurent Léo Louis Luc Lucas Malik Marc Mathieu Maxime Mehdi Michel "
    "Nicolas Noah Olivier Pascal Patrick Paul Philippe Pierre Quentin Raphaël Rémi Romain "
    "Samuel Sébastien Simon Stéphane Théo Thibault Thomas Timothée Tristan Valentin Victor "
    "Vincent Xavier Yann Yannick Yves"
).split()

LAST_NAMES = (
    "Martin Bernard Thomas Petit Robert Richard Durand Dubois Moreau Laurent Simon Michel "
    "Lefèvre Leroy Roux David Bertrand Morel Fournier Girard Bonnet Dupont Lambert Fontaine "
    "Rousseau Vincent Muller Lefebvre Faure André Mercier Blanc Guérin Boyer Garnier Chevalier "
    "François Legrand Gauthier Garcia Perrin Robin Clément Morin Nicolas Henry Roussel Mathieu "
    "Gautier Masson Marchand Duval Denis Dumont Marie Lemaire Noël Meyer Dufour Meunier Brun "
    "Blanchard Giraud Joly Rivière Lucas Brunet Gaillard Barbier Arnaud Martinez Gérard Roche "
    "Renard Schmitt Roy Leroux Colin Vidal Caron Picard Roger Fabre Aubert Lemoine Renaud "
    "Dumas Lacroix Olivier Philippe Bourgeois Pierre Benoît Rey Leclerc Payet Rolland Leclercq "
    "Guillaume Lecomte Lopez Jean Dupuy Guillot Hubert Berger Carpentier Sanchez Dupuis Moulin "
    "Louis Deschamps Huet Vasseur Perez Boucher Fleury Royer Klein Jacquet Adam Paris Poirier "
    "Marty Aubry Guyot Carré Charles Renault Charpentier Ménard Maillard Baron Bertin Bailly "
    "Hervé Schneider Fernandez Le Gall Collet Léger Bouvier Julien Prévost Millet Perrot Daniel "
    "Le Roux Cousin Germain Breton Besson Langlois Rémy Le Goff Pelletier Lévêque Perrier "
    "Leblanc Barré Lebrun Marchal Weber Mallet Hamon Boulanger Jacob Monnier Michaud Rodriguez "
    "Guichard Gillet Étienne Grondin Poulain Tessier Chevallier Collin Chauvin Da Silva Bouchet "
    "Gay Lemaître Bénard Maréchal Humbert Reynaud Antoine Hoarau Perret Barthélémy Cordier "
    "Pichon Lejeune Gilbert Lamy Delaunay Pasquier Carlier Laporte"
).split(" ")

COMMUNES = [
    ("Paris", "75001"),
    ("Marseille", "13001"),
    ("Lyon", "69001"),
    ("Toulouse", "31000"),
    ("Nice", "06000"),
    ("Nantes", "44000"),
    ("Montpellier", "34000"),
    ("Strasbourg", "67000"),
    ("Bordeaux", "33000"),
    ("Lille", "59000"),
    ("Rennes", "35000"),
    ("Reims", "51100"),
    ("Toulon", "83000"),
    ("Saint-Étienne", "42000"),
    ("Le Havre", "76600"),
    ("Grenoble", "38000"),
    ("Dijon", "21000"),
    ("Angers", "49000"),
    ("Nîmes", "30000"),
    ("Villeurbanne", "69100"),
    ("Clermont-Ferrand", "63000"),
    ("Le Mans", "72000"),
    ("Aix-en-Provence", "13090"),
    ("Brest", "29200"),
    ("Tours", "37000"),
    ("Amiens", "80000"),
    ("Limoges", "87000"),
    ("Annecy", "74000"),
    ("Perpignan", "66000"),
    ("Boulogne-Billancourt", "92100"),
    ("Metz", "57000"),
    ("Besançon", "25000"),
    ("Orléans", "45000"),
    ("Saint-Denis", "93200"),
    ("Argenteuil", "95100"),
    ("Rouen", "76000"),
    ("Mulhouse", "68100"),
    ("Montreuil", "93100"),
    ("Caen", "14000"),
    ("Nancy", "54000"),
    ("Saint-Paul", "97460"),
    ("Tourcoing", "59200"),
    ("Roubaix", "59100"),
    ("Nanterre", "92000"),
    ("Vitry-sur-Seine", "94400"),
    ("Avignon", "84000"),
    ("Créteil", "94000"),
    ("Poitiers", "86000"),
    ("Fort-de-France", "97200"),
    ("Pau", "64000"),
    ("Versailles", "78000"),
    ("Colombes", "92700"),
    ("Aubervilliers", "93300"),
    ("La Rochelle", "17000"),
    ("Calais", "62100"),
    ("Cannes", "06400"),
    ("Béziers", "34500"),
    ("Bourges", "18000"),
    ("Saint-Nazaire", "44600"),
    ("Colmar", "68000"),
    ("Quimper", "29000"),
    ("Valence", "26000"),
    ("Ajaccio", "20000"),
    ("Bastia", "20200"),
    ("Troyes", "10000"),
    ("Chambéry", "73000"),
    ("Niort", "79000"),
    ("Lorient", "56100"),
    ("Vannes", "56000"),
    ("Sète", "34200"),
    ("Laval", "53000"),
    ("Cholet", "49300"),
    ("Belfort", "90000"),
    ("Évreux", "27000"),
    ("Chartres", "28000"),
    ("Blois", "41000"),
    ("Châteauroux", "36000"),
    ("Arras", "62000"),
    ("Angoulême", "16000"),
    ("Agen", "47000"),
    ("Périgueux", "24000"),
    ("Tarbes", "65000"),
    ("Albi", "81000"),
    ("Carcassonne", "11000"),
    ("Montauban", "82000"),
    ("Rodez", "12000"),
    ("Aurillac", "15000"),
    ("Le Puy-en-Velay", "43000"),
    ("Mâcon", "71000"),
    ("Nevers", "58000"),
    ("Auxerre", "89000"),
    ("Épinal", "88000"),
    ("Charleville-Mézières", "08000"),
    ("Saint-Brieuc", "22000"),
    ("Alençon", "61000"),
    ("Saint-Lô", "50000"),
    ("Gap", "05000"),
    ("Digne-les-Bains", "04000"),
    ("Mende", "48000"),
    ("Foix", "09000"),
    ("Cahors", "46000"),
    ("Guéret", "23000"),
    ("Tulle", "19000"),
    ("Vesoul", "70000"),
    ("Lons-le-Saunier", "39000"),
    ("Bar-le-Duc", "55000"),
    ("Chaumont", "52000"),
    ("Beauvais", "60000"),
    ("Laon", "02000"),
    ("Melun", "77000"),
    ("Cergy", "95000"),
    ("Évry-Courcouronnes", "91000"),
    ("Bobigny", "93000"),
    ("Privas", "07000"),
    ("Bourg-en-Bresse", "01000"),
    ("Moulins", "03000"),
    ("Mont-de-Marsan", "40000"),
    ("Auch", "32000"),
    ("Saint-Pierre", "97410"),
    ("Cayenne", "97300"),
    ("Pointe-à-Pitre", "97110"),
    ("Mamoudzou", "97600"),
    ("Nouméa", "98800"),
    ("Papeete", "98714"),
]

STREET_KINDS = ["rue", "avenue", "boulevard", "place", "allée", "impasse", "chemin", "quai"]
STREET_NAMES = (
    "de la République|Victor Hugo|Jean Jaurès|de la Gare|du Général de Gaulle|Pasteur|"
    "de l'Église|des Écoles|du Moulin|de la Paix|Gambetta|Voltaire|de la Liberté|Jules Ferry|"
    "des Lilas|du Stade|de Verdun|Émile Zola|du Château|des Tilleuls|de la Mairie|Carnot|"
    "du 8 Mai 1945|Anatole France|Foch|de Paris|des Acacias|du Port|de la Fontaine|Saint-Martin"
).split("|")

TRADES = (
    "Boulangerie|Menuiserie|Plomberie|Électricité|Transports|Imprimerie|Informatique|"
    "Conseil|Bâtiment|Travaux publics|Nettoyage|Restauration|Traiteur|Fournitures de bureau|"
    "Maçonnerie|Charpente|Couverture|Peinture|Paysages|Sécurité|Formation|Ingénierie|"
    "Architecture|Études|Logiciels|Télécoms|Mobilier|Ascenseurs|Chauffage|Climatisation|"
    "Location de matériel|Laboratoire|Pharmacie|Librairie|Papeterie|Garage|Carrosserie|"
    "Déménagements|Signalétique|Traduction|Communication|Audiovisuel|Événementiel"
).split("|")

COMPANY_SHAPES = [
    "{trade} {last}",
    "{last} {trade}",
    "{trade} {last} et Fils",
    "{last} & {last2}",
    "{trade} du {region}",
    "{trade} de {city}",
    "Ateliers {last}",
    "Établissements {last}",
    "Groupe {last}",
    "{last} {trade} {city}",
]
LEGAL_FORMS = ["SAS", "SARL", "SA", "EURL", "SASU", "SCOP", "SNC", "SCI", ""]
REGIONS = (
    "Rhône|Sud|Nord|Centre|Littoral|Val de Loire|Massif|Vexin|Léman|Bocage|Causse|Marais|"
    "Pays basque|Ponant|Levant|Jura|Morvan|Limousin|Périgord|Quercy"
).split("|")

PUBLIC_SHAPES = [
    "Mairie de {city}",
    "Commune de {city}",
    "Communauté de communes du {region}",
    "Communauté d'agglomération de {city}",
    "Centre hospitalier de {city}",
    "Centre communal d'action sociale de {city}",
    "Collège {last} de {city}",
    "Lycée {last} de {city}",
    "École élémentaire {last} de {city}",
    "Syndicat intercommunal des eaux du {region}",
    "Office public de l'habitat de {city}",
    "Direction départementale des finances publiques de {city}",
    "Service des impôts des entreprises de {city}",
    "Trésorerie de {city}",
    "Préfecture de {city}",
    "Université de {city}",
    "Conservatoire de {city}",
    "Médiathèque de {city}",
    "Établissement public foncier du {region}",
]

SERVICE_NAMES = (
    "Achats|Comptabilité|Ressources humaines|Informatique|Immobilier|Logistique|"
    "Communication|Juridique|Contrôle de gestion|Archives|Formation|Paie|Marchés publics|"
    "Trésorerie|Recouvrement|Cadastre|Domaines|Fiscalité des entreprises|Contentieux|"
    "Audit interne|Qualité|Sécurité|Accueil|Courrier|Affaires générales|Action sociale|"
    "Médecine de prévention|Documentation|Études et statistiques|Voirie|Espaces verts|"
    "État civil|Urbanisme|Culture|Sports|Jeunesse|Petite enfance|Restauration scolaire"
).split("|")

MAIL_DOMAINS = [
    "orange.fr",
    "wanadoo.fr",
    "free.fr",
    "laposte.net",
    "sfr.fr",
    "gmail.com",
    "outlook.fr",
    "yahoo.fr",
]
