"""``encoder__<name>`` / ``decoder__<name>`` parameters for the custom networks' arguments.

The custom modules' arguments live in the ``encoder_kwargs`` and
``decoder_kwargs`` dicts (a ``**kwargs`` ``__init__`` would fail
scikit-learn's checks). As in skorch and scikit-learn's nested estimators,
each entry is also a parameter of its own, ``encoder__<name>``, so that
``GridSearchCV`` can search it.
"""

ROUTES = {"encoder__": "encoder_kwargs", "decoder__": "decoder_kwargs"}


class RoutedKwargsMixin:
    """``get_params``/``set_params`` that list and set the entries of ``encoder_kwargs``/``decoder_kwargs``.

    Mixed in before :class:`~sklearn.base.BaseEstimator` by an estimator
    that has both parameters.
    """

    def get_params(self, deep=True):
        """Parameters of this estimator; with ``deep``, also ``encoder__<name>`` / ``decoder__<name>``.

        Parameters
        ----------
        deep : bool, default=True
            Also list each entry of ``encoder_kwargs`` and ``decoder_kwargs``
            under its routed name.

        Returns
        -------
        params : dict
            Parameter names mapped to their values.
        """
        params = super().get_params(deep=deep)
        if deep:
            for prefix, name in ROUTES.items():
                kwargs = params[name]
                for key, value in kwargs.items() if isinstance(kwargs, dict) else ():
                    params[prefix + key] = value
        return params

    def set_params(self, **params):
        """Set parameters; ``encoder__<name>=v`` sets entry ``name`` of ``encoder_kwargs`` (a new dict).

        Parameters
        ----------
        **params : dict
            Estimator parameters, routed names included.

        Returns
        -------
        self : estimator instance
            The estimator.
        """
        for prefix, name in ROUTES.items():
            entries = {key[len(prefix) :]: params.pop(key) for key in list(params) if key.startswith(prefix)}
            if entries:
                current = params.pop(name) if name in params else self.get_params(deep=False)[name]
                params[name] = {**(current if isinstance(current, dict) else {}), **entries}
        return super().set_params(**params)
