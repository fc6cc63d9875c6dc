"""Two generative models in their shortest form: a variational autoencoder on the digits
and a GAN learning a ring of points. The noise both need comes from NumPy, the same
in both runs."""

import math

import numpy as np

from . import digits, numpy_parameters


def tiny_vae(torch, print, epochs=6, latent=4):
    torch.set_default_dtype(torch.float64)
    nn, F = torch.nn, torch.nn.functional
    images, _ = digits()
    data = torch.tensor(images[:256].reshape(256, 64))
    noise = np.random.default_rng(1)

    class VAE(nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = nn.Sequential(nn.Linear(64, 32), nn.ReLU())
            self.mu, self.log_var = nn.Linear(32, latent), nn.Linear(32, latent)
            self.decoder = nn.Sequential(
                nn.Linear(latent, 32), nn.ReLU(), nn.Linear(32, 64), nn.Sigmoid()
            )

        def forward(self, x, eps):
            hidden = self.encoder(x)
            mu, log_var = self.mu(hidden), self.log_var(hidden)
            # reparameterised: the randomness is an input
            z = mu + eps * torch.exp(0.5 * log_var)
            return self.decoder(z), mu, log_var

    model = numpy_parameters(torch, VAE())
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    loader = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(data), batch_size=64
    )
    losses = []
    for epoch in range(epochs):
        total_reconstruction = total_kl = 0.0
        for (batch,) in loader:
            eps = torch.tensor(noise.standard_normal((len(batch), latent)))
            reconstruction, mu, log_var = model(batch, eps)
            reconstruction_loss = F.binary_cross_entropy(
                reconstruction, batch, reduction="sum"
            )
            # KL(q(z|x) || N(0, I))
            kl = -0.5 * torch.sum(1 + log_var - mu.pow(2) - log_var.exp())
            loss = (reconstruction_loss + kl) / len(batch)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total_reconstruction += reconstruction_loss.item()
            total_kl += kl.item()
        losses.append((total_reconstruction + total_kl) / len(data))
        print(
            epoch,
            f"reconstruction {total_reconstruction / len(data):.10f}",
            f"KL {total_kl / len(data):.10f}",
        )
    model.eval()
    with torch.no_grad():
        samples = model.decoder(torch.tensor(noise.standard_normal((8, latent))))
    print(
        samples.shape,
        bool(((samples > 0) & (samples < 1)).all()),
        f"{samples.mean().item():.10f}",
    )
    return losses


def tiny_gan(torch, print, steps=200, radius=2.0, centre=(1.0, -1.0)):
    torch.set_default_dtype(torch.float64)
    nn = torch.nn
    rng = np.random.default_rng(2)

    def real_batch(n):
        angle = rng.uniform(0, 2 * math.pi, n)
        return torch.tensor(
            np.stack([np.cos(angle), np.sin(angle)], axis=1) * radius + centre
        )

    generator = nn.Sequential(nn.Linear(2, 16), nn.LeakyReLU(0.2), nn.Linear(16, 2))
    discriminator = nn.Sequential(
        nn.Linear(2, 16), nn.LeakyReLU(0.2), nn.Linear(16, 1), nn.Sigmoid()
    )
    numpy_parameters(torch, generator, seed=3)
    numpy_parameters(torch, discriminator, seed=4)
    criterion = nn.BCELoss()
    opt_g = torch.optim.Adam(generator.parameters(), lr=2e-3, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(discriminator.parameters(), lr=2e-3, betas=(0.5, 0.999))
    real_label, fake_label = torch.ones(32, 1), torch.zeros(32, 1)

    def distance_to_centre():
        with torch.no_grad():
            samples = generator(torch.tensor(rng.standard_normal((500, 2))))
        return (samples.mean(0) - torch.tensor(centre)).norm().item()

    start = distance_to_centre()
    for step in range(steps):
        real = real_batch(32)
        fake = generator(torch.tensor(rng.standard_normal((32, 2))))
        # the discriminator learns to tell them apart; detach: no gradient flows into
        # the generator
        opt_d.zero_grad()
        d_loss = criterion(discriminator(real), real_label) + criterion(
            discriminator(fake.detach()), fake_label
        )
        d_loss.backward()
        opt_d.step()
        if step == 0:
            print(
                "generator untouched by the discriminator's step:",
                generator[0].weight.grad is None,
            )
        # the generator learns to make the discriminator say "real"
        opt_g.zero_grad()
        g_loss = criterion(discriminator(fake), real_label)
        g_loss.backward()
        opt_g.step()
        if step % 20 == 0:
            print(step, f"D {d_loss.item():.10f}", f"G {g_loss.item():.10f}")
    end = distance_to_centre()
    print(f"mean of the samples to the ring's centre: {start:.8f} -> {end:.8f}")
    return start, end
